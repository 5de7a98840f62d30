"""Tracking as handlers and jobs: the customer's mail when a parcel goes wrong; polling the
carriers without webhooks, and spotting parcels that stopped moving."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from returns_portal import jobs
from returns_portal.events.services import RetryLater, subscribe
from returns_portal.extensions import db
from returns_portal.notifications import services as notifications
from returns_portal.returns.models import Return
from returns_portal.returns.services.tracking import ON_ITS_WAY
from returns_portal.shipping.events import TrackingTrouble
from returns_portal.shipping.models import Shipment
from returns_portal.shipping.tracking import flag_stalled, poll_trackers


def mail_tracking_trouble(return_id: int, shipment_id: int, problem: str) -> None:
    """Tell the customer their parcel went wrong, unless it has recovered since."""
    rma = db.session.get(Return, return_id)
    shipment = db.session.get(Shipment, shipment_id)
    if rma is None or shipment is None or shipment.problem != problem:
        return
    if rma.status not in ON_ITS_WAY:
        return  # scanned in at the warehouse meanwhile: that mail tells the news
    if not notifications.send_update(rma, "tracking_exception", problem=problem):
        raise RetryLater("the mail server refused the message")


def poll_job() -> str:
    return poll_trackers()


def stalled_job() -> str:
    return flag_stalled()


def init_app(app: Flask) -> None:
    subscribe(app, TrackingTrouble, "mail.tracking_trouble", mail_tracking_trouble)
    jobs.register(app, "carriers.poll", poll_job, every=timedelta(minutes=30))
    jobs.register(app, "carriers.flag_stalled", stalled_job, every=timedelta(hours=6))
