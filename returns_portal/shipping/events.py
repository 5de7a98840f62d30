"""What happens to parcels on their way, as domain events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackingTrouble:
    """A return's parcel went wrong on its way (statuses.TrackingProblem): staff look at it
    and the customer is told what happens."""

    return_id: int
    shipment_id: int
    problem: str
