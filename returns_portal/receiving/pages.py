"""What each scan-station page shows, gathered by one call: the views only parse and render.

A page model reads through the receiving services (and the refund they proposed); it
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from returns_portal import policy
from returns_portal.receiving import services as receiving
from returns_portal.receiving.models import Inspection
from returns_portal.refunds.models import Refund
from returns_portal.returns.models import Return


@dataclass(frozen=True)
class InspectionPage:
    """An inspection's page: what the return should contain, what has been counted, and,
    once complete, the refund it proposed."""

    inspection: Inspection
    rma: Return
    expected: list[receiving.Expected]
    refund: Refund | None


def inspection_page(inspection_id: int) -> InspectionPage | None:
    """Gather an inspection's page; None when there is no such inspection."""
    inspection = receiving.load_inspection(inspection_id)
    if inspection is None:
        return None
    rma = inspection.rma
    return InspectionPage(
        inspection=inspection,
        rma=rma,
        expected=receiving.expected_items(inspection),
        refund=receiving.proposed_refund(rma) if inspection.completed_at else None,
    )


@dataclass(frozen=True)
class ItemPage:
    """One counted item's form: the pack's checklist for it and where it may go."""

    inspection: Inspection
    expected: receiving.Expected
    questions: tuple[policy.ChecklistQuestion, ...]
    dispositions: list[receiving.Disposition]
    asks_diminished_value: bool  # the EU pack deducts for handling beyond what was needed


def item_page(inspection_id: int, item_id: int) -> ItemPage | None:
    """Gather the form for one item of an inspection; None when it has no such item."""
    inspection = receiving.load_inspection(inspection_id)
    if inspection is None:
        return None
    expected = next(
        (e for e in receiving.expected_items(inspection) if e.finding.id == item_id), None
    )
    if expected is None:
        return None
    return ItemPage(
        inspection=inspection,
        expected=expected,
        questions=receiving.questions_for(inspection, expected),
        dispositions=list(receiving.Disposition),
        asks_diminished_value=receiving.return_policy(inspection.rma).pack == "eu-14day",
    )
