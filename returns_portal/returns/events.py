"""What happens to returns, as domain events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReturnOpened:
    """A customer confirmed a return (its label and documents are ready)."""

    return_id: int


@dataclass(frozen=True)
class ReturnMoved:
    """A return changed status (every transition publishes one, after its audit row)."""

    return_id: int
    status: str


@dataclass(frozen=True)
class RefundOverdue:
    """A return's refund is past its due date (published once per return)."""

    return_id: int


@dataclass(frozen=True)
class ParcelDelivered:
    """The carrier delivered a return's parcel to the warehouse (before it is scanned in)."""

    return_id: int


@dataclass(frozen=True)
class ReplacementShipped:
    """Fulfilment sent an exchange's new item, with its carrier and tracking number."""

    return_id: int


@dataclass(frozen=True)
class ConfirmationResent:
    """Staff sent the customer their confirmation again (a new label, or the old one lost)."""

    return_id: int


@dataclass(frozen=True)
class ShipByExtended:
    """Staff gave the customer more days to send the parcel."""

    return_id: int


@dataclass(frozen=True)
class ShipReminder:
    """The last day to send the parcel is near and it was not sent (said once per day)."""

    return_id: int
