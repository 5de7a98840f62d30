"""Forms of the returns desk (CSRF on each that changes something)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from returns_portal.desk.queries import LATE, SORTS
from returns_portal.returns.models import ReturnStatus
from returns_portal.returns.reasons import REASON_LABELS

STATUS_WORDS = {
    ReturnStatus.REQUESTED: _l("Requested"),
    ReturnStatus.NEEDS_REVIEW: _l("Needs review"),
    ReturnStatus.AWAITING_SHIPMENT: _l("Awaiting shipment"),
    ReturnStatus.IN_TRANSIT: _l("In transit"),
    ReturnStatus.RECEIVED: _l("Received"),
    ReturnStatus.INSPECTED: _l("Inspected"),
    ReturnStatus.RESOLVED: _l("Resolved"),
    ReturnStatus.CLOSED: _l("Closed"),
    ReturnStatus.CANCELLED: _l("Cancelled"),
    ReturnStatus.REJECTED: _l("Rejected"),
    ReturnStatus.EXPIRED: _l("Expired"),
}
LATE_WORDS = {
    "uninspected": _l("Received, not checked after 2 days"),
    "overdue": _l("Refund overdue"),
    "carrier_problem": _l("A problem with the parcel (returned, failed, not moving)"),
}
SORT_WORDS = {"newest": _l("Newest first"), "oldest": _l("Oldest first"),
              "updated": _l("Last changed")}  # fmt: skip
RESOLUTION_WORDS = {"refund": _l("Refund"), "store_credit": _l("Store credit"),
                    "exchange": _l("Exchange")}  # fmt: skip


def any_of(labels: Mapping[Any, Any]) -> list[SelectChoice]:
    """ "Any", then each choice with its words."""
    return [SelectChoice("", _l("Any")), *(SelectChoice(str(k), v) for k, v in labels.items())]


class SearchForm(FlaskForm):
    """Find returns (a GET form: it changes nothing, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("RMA, order or tracking number, e-mail or name"),
                    validators=[Optional(), Length(max=320)])  # fmt: skip
    status = SelectField(_l("Status"), validators=[Optional()], choices=any_of(STATUS_WORDS))
    reason = SelectField(_l("Reason"), validators=[Optional()], choices=any_of(REASON_LABELS))
    resolution = SelectField(
        _l("Resolution"), validators=[Optional()], choices=any_of(RESOLUTION_WORDS)
    )
    carrier = SelectField(
        _l("Carrier"), validators=[Optional()], choices=any_of({}), validate_choice=False
    )
    flagged = BooleanField(_l("Flagged only"))
    older_than_days = IntegerField(
        _l("Requested more than … days ago"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    late = SelectField(
        _l("Late"), validators=[Optional()], choices=any_of({k: LATE_WORDS[k] for k in LATE})
    )
    sort = SelectField(
        _l("Sort"), validators=[Optional()],
        choices=[SelectChoice(k, SORT_WORDS[k]) for k in SORTS],
    )  # fmt: skip


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note (the customer never sees it)"),
                         validators=[InputRequired(), Length(max=4000)])  # fmt: skip


class ActionForm(FlaskForm):
    """One desk action: a reason where it changes rights, a day where it gives time."""

    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
    until = DateField(_l("Until (the store's day)"), validators=[Optional()])
