"""The receiving domain's services, one module per job; callers import them from here.

- scanning: identify a parcel by its code, receive it, count its items in;
- inspecting: each item's checklist, grade and disposition, then completing the receipt
  (restock and the refund proposal) and what the customer is told about it;
- unidentified: the queue of parcels that match no return, and attaching one to its return;
- common: the refusal, the staff of a receipt and its expected items, which all of them use.
"""

from returns_portal.receiving.services.common import (
    Expected,
    ReceivingError,
    expected_items,
    note_staff,
    receipt_for,
)
from returns_portal.receiving.services.inspecting import (
    BINS,
    DEVICES,
    FAULTS,
    GRADES,
    SOFT_GOODS,
    Disposition,
    complete_receipt,
    findings,
    proposed_refund,
    questions_for,
    record_findings,
    refund_due_by,
    return_policy,
    return_request,
    suggest_disposition,
)
from returns_portal.receiving.services.scanning import (
    RECEIVABLE,
    ScanResult,
    identify,
    open_receipt,
    receive_parcel,
    scan_item,
)
from returns_portal.receiving.services.unidentified import (
    attach_parcel,
    register_unidentified,
    search_unidentified,
)

__all__ = [
    "BINS",
    "DEVICES",
    "FAULTS",
    "GRADES",
    "RECEIVABLE",
    "SOFT_GOODS",
    "Disposition",
    "Expected",
    "ReceivingError",
    "ScanResult",
    "attach_parcel",
    "complete_receipt",
    "expected_items",
    "findings",
    "identify",
    "note_staff",
    "open_receipt",
    "proposed_refund",
    "questions_for",
    "receipt_for",
    "receive_parcel",
    "record_findings",
    "refund_due_by",
    "register_unidentified",
    "return_policy",
    "return_request",
    "scan_item",
    "search_unidentified",
    "suggest_disposition",
]
