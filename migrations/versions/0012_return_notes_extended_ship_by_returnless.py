"""return notes, customer mails, an extended date to ship by, returnless returns; audit
events by entity

For the staff desk: internal notes on a return; the mails each customer was sent (what
they said); the day support extended the time to send the parcel to; returns whose items
the customer keeps (refunded without sending them back). The audit log is read by
(entity_type, entity_id) for every record's timeline; orders by the beginning of
the customer's name.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 01:36:13.428780

"""
from alembic import op
import sqlalchemy as sa

import returns_portal.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_notes_return_id_returns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_notes'))
    )
    with op.batch_alter_table('return_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_notes_return_id'), ['return_id'], unique=False)

    op.create_table('customer_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attachments', sa.String(length=300), nullable=False),
    sa.Column('sent_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_customer_mails_return_id_returns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_mails'))
    )
    with op.batch_alter_table('customer_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_mails_return_id'), ['return_id'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id', 'id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_name', ['customer_name'], unique=False,
                              postgresql_ops={'customer_name': 'varchar_pattern_ops'})

    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ship_by_extended_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('returnless', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_column('returnless')
        batch_op.drop_column('ship_by_extended_to')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_name')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')

    with op.batch_alter_table('customer_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_mails_return_id'))

    op.drop_table('customer_mails')
    with op.batch_alter_table('return_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_notes_return_id'))

    op.drop_table('return_notes')
