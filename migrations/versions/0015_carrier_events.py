"""carrier events: every tracking event as it arrived; shipments' carrier ids, label files,
tracking problems and polling times

An HTTP carrier's webhook or a poll stores each event raw (carrier_events, one row per
carrier event id, so a replay is recognised); a shipment keeps the carrier's id for it, the
label files the carrier made, why staff should look at it (returned to sender, failure, no
movement) and when the carrier last reported or was asked.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import returns_portal.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('carrier_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('occurred_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_carrier_events_shipment_id_shipments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_events')),
    sa.UniqueConstraint('carrier', 'event_id', name=op.f('uq_carrier_events_carrier'))
    )
    with op.batch_alter_table('carrier_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrier_events_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carrier_events_tracking_number'), ['tracking_number'], unique=False)

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('label_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('label_zpl_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('problem', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('problem_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_event_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tracked_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_shipments_problem'), ['problem'], unique=False)


def downgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_problem'))
        batch_op.drop_column('tracked_at')
        batch_op.drop_column('last_event_at')
        batch_op.drop_column('problem_at')
        batch_op.drop_column('problem')
        batch_op.drop_column('label_zpl_url')
        batch_op.drop_column('label_url')
        batch_op.drop_column('provider_id')

    with op.batch_alter_table('carrier_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_events_tracking_number'))
        batch_op.drop_index(batch_op.f('ix_carrier_events_shipment_id'))

    op.drop_table('carrier_events')
