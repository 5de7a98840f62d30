"""the store's name, time zone and public URL can be set in the browser

store_settings.name and .timezone were copied from configuration when the row was made and
never read since; they become nullable and are cleared, so NULL keeps meaning what the
portal did until now: use STORE_NAME / STORE_TIMEZONE. public_url joins them (NULL:
PUBLIC_URL). The admin's store settings page sets them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column('timezone', existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column('public_url', sa.String(length=300), nullable=True))
    op.execute("UPDATE store_settings SET name = NULL, timezone = NULL")


def downgrade():
    # The configured values are not known here: a placeholder stands for each unset one.
    op.execute("UPDATE store_settings SET name = COALESCE(name, ''), "
               "timezone = COALESCE(timezone, 'UTC')")
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('public_url')
        batch_op.alter_column('timezone', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('name', existing_type=sa.String(length=200), nullable=False)
