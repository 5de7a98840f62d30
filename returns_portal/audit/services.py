"""Write audit events; callers commit them with their own change."""

from __future__ import annotations

from typing import Any

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
