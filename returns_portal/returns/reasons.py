"""Words for the return reasons and the policy's reasons, in the customer's language."""

from __future__ import annotations

from datetime import date

from flask_babel import format_currency, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from returns_portal import policy

REASON_LABELS = {
    "no_reason": _l("No reason"),
    "changed_mind": _l("No reason / changed my mind"),
    "too_small": _l("Too small"),
    "too_large": _l("Too large"),
    "not_as_described": _l("Not as described"),
    "defective": _l("Defective or doesn't work"),
    "damaged_in_transit": _l("Arrived damaged"),
    "wrong_item": _l("Wrong item sent"),
    "arrived_late": _l("Arrived too late"),
    "other": _l("Other"),
}
RESOLUTION_LABELS = {
    "refund": _l("Refund to my original payment"),
    "store_credit": _l("Store credit"),
    "exchange": _l("Exchange for another size or colour"),
}
METHOD_LABELS = {
    "label": _l("Print a prepaid label"),
    "qr_dropoff": _l("QR code at a drop-off point (no printer needed)"),
}


def reason_label(code: str) -> str:
    """Return the customer's words for a return reason code."""
    return str(REASON_LABELS.get(code, code))


def _localise(key: str, value: policy.Param) -> str:
    """Render one value of a policy reason for the reader: words, days and money."""
    if isinstance(value, policy.Money):  # pages write ¥12.00, so the reasons do too
        return str(format_currency(value.major, value.currency))
    if isinstance(value, date):
        return str(format_date(value, "long"))
    if isinstance(value, int):
        return str(value)
    labels = {"reason": REASON_LABELS, "resolution": RESOLUTION_LABELS, "method": METHOD_LABELS}
    if key in labels:
        return str(labels[key].get(value, value))
    if key == "question":  # checklist questions are N_-marked English sentences
        return _(value)
    return value


def explain(reason: policy.Reason) -> str:
    """Translate a policy reason and fill in its values in the reader's language."""
    params = {key: _localise(key, value) for key, value in reason.params.items()}
    # The engine's templates are marked with N_ in returns_portal/policy/reasons.py.
    return _(reason.message).format(**params)


# How each part of a return's money reaches the customer (refunds/settlement.py).
MONEY_LABELS = {
    "original_payment": _l("Back to the way you paid"),
    "store_credit": _l("Store credit"),
    "exchange_charge": _l("The price difference for your exchange, charged to the way you paid"),
}
STATUS_LABELS = {
    "requested": _l("Requested"),
    "awaiting_shipment": _l("Waiting for you to send it"),
    "in_transit": _l("On its way to us"),
    "received": _l("Received at our warehouse"),
    "inspected": _l("Checked"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "needs_review": _l("Being checked by our team"),
    "cancelled": _l("Cancelled"),
    "rejected": _l("Not accepted"),
    "expired": _l("Expired (never sent)"),
}
EVENT_LABELS = {
    "return.requested": _l("Return requested"),
    "return.awaiting_shipment": _l("Return accepted: label ready"),
    "return.needs_review": _l("Sent to our team for a check"),
    "return.cancelled": _l("Return cancelled"),
    "return.in_transit": _l("Parcel on its way"),
    "return.received": _l("Parcel received"),
    "return.inspected": _l("Items checked"),
    "return.resolved": _l("Money settled: return complete"),
    "return.rejected": _l("Return not accepted"),
    "return.closed": _l("Return closed"),
    "return.expired": _l("Return expired (never sent)"),
    "shipment.label_created": _l("Label created"),
    "shipment.voided": _l("Label cancelled"),
    "carrier:accepted": _l("Carrier accepted the parcel"),
    "carrier:in_transit": _l("In transit"),
    "carrier:delivered": _l("Delivered to the warehouse"),
}
