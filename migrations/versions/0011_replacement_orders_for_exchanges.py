"""replacement orders for exchanges

The new items of a return's exchanges, handed to the shop's fulfilment and shipped:
one replacement_orders row per return, one replacement_lines row per exchanged item.
Returns received before this revision get theirs from the hand-over job
(`flask exchanges hand-over`), which creates every replacement that is due.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:22:42.911514

"""
from alembic import op
import sqlalchemy as sa

import returns_portal.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('replacement_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('created_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handed_over_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', returns_portal.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_replacement_orders_return_id_returns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replacement_orders')),
    sa.UniqueConstraint('return_id', name=op.f('uq_replacement_orders_return_id'))
    )
    with op.batch_alter_table('replacement_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replacement_orders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_replacement_orders_status'), ['status'], unique=False)

    op.create_table('replacement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('replacement_id', sa.Integer(), nullable=False),
    sa.Column('return_item_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['replacement_id'], ['replacement_orders.id'], name=op.f('fk_replacement_lines_replacement_id_replacement_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_item_id'], ['return_items.id'], name=op.f('fk_replacement_lines_return_item_id_return_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replacement_lines')),
    sa.UniqueConstraint('return_item_id', name=op.f('uq_replacement_lines_return_item_id'))
    )
    with op.batch_alter_table('replacement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replacement_lines_replacement_id'), ['replacement_id'], unique=False)



def downgrade():
    with op.batch_alter_table('replacement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replacement_lines_replacement_id'))

    op.drop_table('replacement_lines')
    with op.batch_alter_table('replacement_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replacement_orders_status'))
        batch_op.drop_index(batch_op.f('ix_replacement_orders_created_at'))

    op.drop_table('replacement_orders')
