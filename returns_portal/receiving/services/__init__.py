"""The receiving domain's services, one module per job; callers import them from here.

- scanning: identify a parcel by its code, receive it, count its items in;
- inspecting: each item's checklist, grade and disposition (its findings), then completing
  the inspection (restock and the refund proposal) and what the customer is told about it;
- unidentified: the queue of parcels that match no return, and attaching one to its return;
- common: the refusal, the staff of an inspection and its expected items, which all of them use.

An `Inspection` is the warehouse's work on one return, from the first parcel to completion;
its `InspectionItem`s are the findings per item (DESIGN.md). Staff see the word "receipt" on
the scan station's pages, and the audit log keeps its "receipt.*" action names.
"""

from returns_portal.receiving.services.common import (
    Expected,
    ReceivingError,
    expected_items,
    load_finding,
    load_inspection,
    note_staff,
)
from returns_portal.receiving.services.inspecting import (
    BINS,
    DEVICES,
    FAULTS,
    GRADES,
    SOFT_GOODS,
    Disposition,
    complete_inspection,
    intact_findings,
    policy_inspection,
    proposed_refund,
    questions_for,
    record_inspection,
    refund_due_by,
    return_policy,
    return_request,
    suggest_disposition,
)
from returns_portal.receiving.services.scanning import (
    RECEIVABLE,
    ScanResult,
    identify,
    open_inspection,
    receive_parcel,
    receive_scan,
    scan_item,
)
from returns_portal.receiving.services.unidentified import (
    attach_parcel,
    load_parcel,
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
    "complete_inspection",
    "expected_items",
    "identify",
    "intact_findings",
    "load_finding",
    "load_inspection",
    "load_parcel",
    "note_staff",
    "open_inspection",
    "policy_inspection",
    "proposed_refund",
    "questions_for",
    "receive_parcel",
    "receive_scan",
    "record_inspection",
    "refund_due_by",
    "register_unidentified",
    "return_policy",
    "return_request",
    "scan_item",
    "search_unidentified",
    "suggest_disposition",
]
