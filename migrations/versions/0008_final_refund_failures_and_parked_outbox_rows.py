"""final refund failures and parked outbox rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

import returns_portal.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failure_final", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("parked_at", returns_portal.types.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("parked_at")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("failure_final")
