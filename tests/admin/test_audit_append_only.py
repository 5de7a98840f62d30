"""On PostgreSQL the database itself refuses to change or delete an audit event."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from returns_portal.audit.models import AuditEvent
from returns_portal.audit.services import record_event
from returns_portal.extensions import db

postgres_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the append-only trigger is PostgreSQL's (migration 0013)",
)


@pytest.fixture
def event(session):
    made = record_event("cli", "user.created", "user", 7, after={"email": "a@example.com"})
    db.session.commit()
    return made


@postgres_only
def test_an_update_of_an_audit_event_is_refused(event):
    change = update(AuditEvent).where(AuditEvent.id == event.id).values(actor="someone else")
    with pytest.raises(DBAPIError, match="append-only: UPDATE"), db.session.begin_nested():
        db.session.execute(change)
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).actor == "cli"


@postgres_only
def test_an_orm_change_to_an_audit_event_is_refused_at_the_flush(event):
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        event.after = {"email": "b@example.com"}
        db.session.flush()
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).after == {"email": "a@example.com"}


@postgres_only
def test_a_delete_of_an_audit_event_is_refused(event):
    removal = delete(AuditEvent).where(AuditEvent.id == event.id)
    with pytest.raises(DBAPIError, match="append-only: DELETE"), db.session.begin_nested():
        db.session.execute(removal)
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.delete(event)
        db.session.flush()
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.id == event.id)) == event.id


@postgres_only
def test_new_events_are_still_written_and_read(event):
    record_event("cli", "user.deactivated", "user", 7)
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == "7").order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.created", "user.deactivated"]


@postgres_only
def test_the_refusal_is_a_trigger_the_migration_made(session):
    names = db.session.scalars(
        text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass"
            " AND NOT tgisinternal"
        )
    ).all()
    assert names == ["audit_events_append_only"]
