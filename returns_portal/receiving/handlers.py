"""What receiving does after a change is committed: the refund at the first scan."""

from __future__ import annotations

from flask import Flask

from returns_portal.events.services import subscribe
from returns_portal.receiving.services.first_scan import refund_at_first_scan
from returns_portal.returns.events import ReturnMoved
from returns_portal.returns.models import ReturnStatus


def refund_on_first_scan(return_id: int, status: str) -> None:
    """The carrier accepted the parcel: a trusted return's refund need not wait for it."""
    if status == ReturnStatus.IN_TRANSIT:
        refund_at_first_scan(return_id)


def init_app(app: Flask) -> None:
    subscribe(app, ReturnMoved, "receiving.first_scan", refund_on_first_scan)
