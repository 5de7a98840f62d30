"""Write audit events (callers commit them with their own change) and read them back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db


def record_event(
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller's commit makes it durable)."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to show: each given part must match; times are UTC, `until` excluded.

    `actors` are actor names as recorded ("user:3 admin@example.com", "cli"); any one matches.
    """

    entity_type: str = ""
    entity_id: str = ""
    actors: tuple[str, ...] = ()
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """Return the SQL conditions, each served by an index of audit_events."""
        conditions: list[ColumnElement[bool]] = []
        if self.entity_type:
            conditions.append(AuditEvent.entity_type == self.entity_type)
        if self.entity_id:
            conditions.append(AuditEvent.entity_id == self.entity_id)
        if self.actors:
            conditions.append(AuditEvent.actor.in_(self.actors))
        if self.action:
            conditions.append(AuditEvent.action == self.action)
        if self.since is not None:
            conditions.append(AuditEvent.occurred_at >= self.since)
        if self.until is not None:
            conditions.append(AuditEvent.occurred_at < self.until)
        return conditions


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events, newest first, and the cursor to the next (older) page."""

    events: list[AuditEvent]
    older_than: int | None  # pass as `before` for the next page; None on the last page


def find_events(query: AuditFilter, before: int | None = None, limit: int = 50) -> AuditPage:
    """Return up to `limit` events matching `query`, newest first, older than event `before`.

    Keyset pagination on the id: every page costs the same however deep it is.
    """
    conditions = query.where()
    if before is not None:
        conditions.append(AuditEvent.id < before)
    rows = list(
        db.session.scalars(
            select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)


def iter_events(query: AuditFilter, batch: int = 1000) -> Iterator[Row[Any]]:
    """Yield every event matching `query` as a row (the columns by name), newest first.

    Each batch of `batch` rows is its own keyset query, read as plain rows: a log of millions
    streams in constant memory and holds no cursor open between batches.
    """
    table = AuditEvent.__table__
    before: int | None = None
    while True:
        conditions = query.where()
        if before is not None:
            conditions.append(AuditEvent.id < before)
        rows = db.session.execute(
            select(table).where(*conditions).order_by(AuditEvent.id.desc()).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        before = rows[-1].id
