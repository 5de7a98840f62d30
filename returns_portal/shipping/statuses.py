"""Carriers' tracking statuses mapped onto the portal's one vocabulary (docs/carriers.md).

The portal's codes are what `record_scan` understands. Progress codes only move forward
(label_created → accepted → in_transit → out_for_delivery → delivered); exception codes put
the shipment in the staff's exception list. A carrier status mapped to None is stored with
its raw event but says nothing new (no information yet, or a status we cannot act on).
"""

from __future__ import annotations

from enum import StrEnum


class TrackingCode(StrEnum):
    """The portal's tracking vocabulary."""

    LABEL_CREATED = "label_created"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    FAILURE = "failure"
    VOIDED = "voided"


class TrackingProblem(StrEnum):
    """Why a shipment is in the staff's exception list."""

    RETURNED_TO_SENDER = "returned_to_sender"
    FAILURE = "failure"
    STALLED = "stalled"  # no carrier event for TRACKING_STALLED_DAYS


# Forward-only progress: a code never replaces one ranked higher.
PROGRESS: dict[str, int] = {
    TrackingCode.LABEL_CREATED: 0,
    TrackingCode.ACCEPTED: 1,
    TrackingCode.IN_TRANSIT: 2,
    TrackingCode.OUT_FOR_DELIVERY: 3,
    TrackingCode.DELIVERED: 4,
}
PROBLEMS: dict[str, TrackingProblem] = {
    TrackingCode.RETURNED_TO_SENDER: TrackingProblem.RETURNED_TO_SENDER,
    TrackingCode.FAILURE: TrackingProblem.FAILURE,
}

# https://docs.easypost.com/docs/trackers (Tracker.status)
EASYPOST: dict[str, TrackingCode | None] = {
    "pre_transit": TrackingCode.LABEL_CREATED,
    "in_transit": TrackingCode.IN_TRANSIT,
    "out_for_delivery": TrackingCode.OUT_FOR_DELIVERY,
    "delivered": TrackingCode.DELIVERED,
    # Held at a pickup point: the warehouse collects it, so it is not delivered yet.
    "available_for_pickup": TrackingCode.OUT_FOR_DELIVERY,
    "return_to_sender": TrackingCode.RETURNED_TO_SENDER,
    "failure": TrackingCode.FAILURE,
    "error": TrackingCode.FAILURE,
    "cancelled": TrackingCode.VOIDED,
    "unknown": None,
}

# https://docs.goshippo.com/docs/tracking/tracking (tracking_status.status)
SHIPPO: dict[str, TrackingCode | None] = {
    "PRE_TRANSIT": TrackingCode.LABEL_CREATED,
    "TRANSIT": TrackingCode.IN_TRANSIT,
    "DELIVERED": TrackingCode.DELIVERED,
    "RETURNED": TrackingCode.RETURNED_TO_SENDER,
    "FAILURE": TrackingCode.FAILURE,
    "UNKNOWN": None,
}

# https://www.aftership.com/docs/tracking/others/delivery-status (tag)
AFTERSHIP: dict[str, TrackingCode | None] = {
    "Pending": None,  # registered, the carrier has said nothing yet
    "InfoReceived": TrackingCode.LABEL_CREATED,
    "InTransit": TrackingCode.IN_TRANSIT,
    "OutForDelivery": TrackingCode.OUT_FOR_DELIVERY,
    # A missed delivery is tried again: still on its way, not an exception.
    "AttemptFail": TrackingCode.OUT_FOR_DELIVERY,
    "AvailableForPickup": TrackingCode.OUT_FOR_DELIVERY,
    "Delivered": TrackingCode.DELIVERED,
    "Exception": TrackingCode.FAILURE,
    # No news for 30 days: the portal's own "no movement" check flags it sooner.
    "Expired": None,
}

VOCABULARIES: dict[str, dict[str, TrackingCode | None]] = {
    "easypost": EASYPOST,
    "shippo": SHIPPO,
    "aftership": AFTERSHIP,
}


def portal_code(vocabulary: str, status: str) -> TrackingCode | None:
    """Return the portal's code for a carrier's status; None for one that says nothing new."""
    return VOCABULARIES[vocabulary].get(status)


def is_behind(code: str, current: str) -> bool:
    """Tell whether progress `code` is lower than the shipment's `current` progress."""
    return code in PROGRESS and PROGRESS[code] < PROGRESS.get(current, -1)


def is_ahead(code: str, current: str) -> bool:
    """Tell whether progress `code` is higher than the shipment's `current` progress."""
    return code in PROGRESS and PROGRESS[code] > PROGRESS.get(current, -1)
