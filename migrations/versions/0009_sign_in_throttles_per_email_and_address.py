"""sign-in throttles per email and address

Failed sign-ins were counted on the user, so failures from anywhere locked the account and
only real accounts ever showed as locked. They are now counted per (email, client address)
in login_throttles, for emails with or without an account; the user's own counters go.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:15:23.145136

"""
from alembic import op
import sqlalchemy as sa

import returns_portal.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', returns_portal.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', returns_portal.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
    sa.UniqueConstraint('email_key', 'address', name=op.f('uq_login_throttles_email_key'))
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttles_last_failed_at'), ['last_failed_at'], unique=False)

    # Open locks are not carried over: they were the account-wide kind this replaces.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', returns_portal.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttles_last_failed_at'))

    op.drop_table('login_throttles')
