"""audit events are append-only on PostgreSQL; read by actor and by action, newest first

The audit log is evidence: on PostgreSQL a trigger refuses every UPDATE and DELETE of an
audit event, whoever asks (the portal, a console, a script). TRUNCATE is a different
statement with no row trigger, so dropping a test database or clearing one on purpose still
works; it needs the table owner's rights. SQLite has no such trigger here: the embedded
default is one person's machine.

The audit log page filters by actor and by action and shows the newest first: an index on
each, with the id, serves both the filter and the order. (action, id) replaces the index on
action alone.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 02:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


REFUSE = """
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit events are never changed or deleted; record a new event instead.';
END;
$$
"""

TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()
"""


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_action')
        batch_op.create_index('ix_audit_events_action', ['action', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_actor', ['actor', 'id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE)
        op.execute(TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_events_append_only ON audit_events')
        op.execute('DROP FUNCTION audit_events_refuse_change()')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_actor')
        batch_op.drop_index('ix_audit_events_action')
        batch_op.create_index('ix_audit_events_action', ['action'], unique=False)
