"""indexes for the returns desk's list: sorted pages, by status, flagged, found by name

The desk shows returns a page at a time, newest or oldest first or by their last change,
of one status or all, and the count of each status (issue 12: fast with a million orders;
bench/desk_search.py measures it). Each sort is an index on its time and the id (the
tie-break), read from one end; the status index gains the request time and the id, so a
status's page is read in order too and its count is a range of the index alone. Flagged
returns (needs_review) are few: a partial index holds only them. A carrier's returns are
counted by status from an index, and so are the returns whose items have a reason or a
resolution.

A search by name finds orders by the name index, then their returns by the order index:
both gain the id, so a common name's orders and returns are found without reading either
table. The inspections' return index gains the start, for "received, not inspected for
days".

On PostgreSQL the names get a finer histogram (statistics target 1000): with the default,
a rare prefix ("George Wi", 500 orders of a million) is estimated at one histogram bucket
(9,000 orders), and the planner reads every return instead of looking the few up by id.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# How fine ANALYZE reads the customers' names: histogram buckets and common values kept
# (PostgreSQL; its default is 100).
NAME_STATISTICS = 1000


def upgrade():
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_status')
        batch_op.drop_index('ix_returns_order_id')
        batch_op.create_index('ix_returns_status_requested_at',
                              ['status', 'requested_at', 'id'], unique=False)
        batch_op.create_index('ix_returns_order_id', ['order_id', 'id'], unique=False)
        batch_op.create_index('ix_returns_requested_at', ['requested_at', 'id'], unique=False)
        batch_op.create_index('ix_returns_updated_at', ['updated_at', 'id'], unique=False)
        batch_op.create_index('ix_returns_flagged', ['requested_at'], unique=False,
                              postgresql_where=sa.text('needs_review'),
                              sqlite_where=sa.text('needs_review'))
        batch_op.create_index('ix_returns_carrier', ['carrier', 'status'], unique=False)

    with op.batch_alter_table('return_items', schema=None) as batch_op:
        batch_op.create_index('ix_return_items_reason', ['reason', 'resolution', 'return_id'],
                              unique=False)
        batch_op.create_index('ix_return_items_resolution', ['resolution', 'return_id'],
                              unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_name')
        batch_op.create_index('ix_orders_customer_name', ['customer_name', 'id'], unique=False,
                              postgresql_ops={'customer_name': 'varchar_pattern_ops'})
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE orders ALTER COLUMN customer_name SET STATISTICS {NAME_STATISTICS}')

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_return_id')
        batch_op.create_index('ix_inspections_return_id', ['return_id', 'started_at'],
                              unique=False)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE orders ALTER COLUMN customer_name SET STATISTICS -1')

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_return_id')
        batch_op.create_index('ix_inspections_return_id', ['return_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_name')
        batch_op.create_index('ix_orders_customer_name', ['customer_name'], unique=False,
                              postgresql_ops={'customer_name': 'varchar_pattern_ops'})

    with op.batch_alter_table('return_items', schema=None) as batch_op:
        batch_op.drop_index('ix_return_items_resolution')
        batch_op.drop_index('ix_return_items_reason')

    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_index('ix_returns_carrier')
        batch_op.drop_index('ix_returns_flagged')
        batch_op.drop_index('ix_returns_updated_at')
        batch_op.drop_index('ix_returns_requested_at')
        batch_op.drop_index('ix_returns_order_id')
        batch_op.drop_index('ix_returns_status_requested_at')
        batch_op.create_index('ix_returns_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_returns_status', ['status'], unique=False)
