"""stock prices carry their currency; open size swaps cost what was paid

stock_levels.currency names the currency of unit_price. Existing rows keep NULL, which means
the store's currency (store_settings.currency): the only currency they could have been priced
in. The portal sets it on every row it creates from now on.

A variant of the same product (same product_group) now costs what the customer paid for the
returned unit, not its list price. Returns not yet checked at the warehouse that swap for a
variant of the same product drop the list price they kept (exchange_unit_price NULL: no
difference); returns already inspected keep theirs, since their refunds are proposed already.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NOT_YET_INSPECTED = ('requested', 'needs_review', 'awaiting_shipment', 'in_transit', 'received')


def upgrade():
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))

    statuses = ", ".join(f"'{status}'" for status in NOT_YET_INSPECTED)
    op.execute(
        "UPDATE return_items SET exchange_unit_price = NULL"
        " WHERE exchange_unit_price IS NOT NULL"
        f" AND return_id IN (SELECT id FROM returns WHERE status IN ({statuses}))"
        " AND EXISTS (SELECT 1 FROM stock_levels s, order_lines l"
        "  WHERE s.sku = return_items.exchange_sku AND l.id = return_items.order_line_id"
        "  AND s.product_group IS NOT NULL AND s.product_group = l.product_group)"
    )


def downgrade():
    # The list prices dropped by the upgrade are not restored: they were the wrong price.
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_column('currency')
