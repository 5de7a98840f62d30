"""Forms of the finance refund pages (CSRF on each that changes something)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from returns_portal.inputs import MoneyField
from returns_portal.refunds.exports import METHODS, QUEUE_DEFAULT, QueueFilter
from returns_portal.refunds.models import RefundStatus

STATUS_LABELS = {
    RefundStatus.PROPOSED: _l("Waiting for approval"),
    RefundStatus.APPROVED: _l("Approved"),
    RefundStatus.SUBMITTED: _l("Sent to the provider"),
    RefundStatus.SUCCEEDED: _l("Paid"),
    RefundStatus.FAILED: _l("Failed"),
    RefundStatus.CANCELLED: _l("Denied"),
}
METHOD_LABELS = {
    "original_payment": _l("Original payment"),
    "store_credit": _l("Store credit"),
    "exchange_charge": _l("Exchange difference (charge)"),
}


class QueueFilterForm(FlaskForm):
    """Narrow the queue (a GET form: it changes nothing, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectMultipleField(
        _l("Status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    older_than = IntegerField(
        _l("Older than (days)"), validators=[Optional(), NumberRange(min=0, max=3650)]
    )
    min_amount = MoneyField(_l("Amount from"), validators=[Optional(), NumberRange(min=0)])
    max_amount = MoneyField(_l("Amount to"), validators=[Optional(), NumberRange(min=0)])
    method = SelectField(
        _l("Method"),
        choices=[
            SelectChoice("", _l("Any")),
            *(SelectChoice(m, METHOD_LABELS[m]) for m in METHODS),
        ],
        validators=[Optional()],
    )

    def to_filter(self) -> QueueFilter:
        """Return the query this form asks for (proposed and failed when no status is ticked)."""
        return QueueFilter(
            statuses=tuple(self.status.data or QUEUE_DEFAULT),
            older_than_days=self.older_than.data,
            min_amount=self.min_amount.data,
            max_amount=self.max_amount.data,
            method=self.method.data or None,
        )


class ApproveForm(FlaskForm):
    """Approve the refund: with enough approvals it is paid at once."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class AdjustForm(FlaskForm):
    """Change the amount; the service refuses it without a reason or above what remains."""

    amount = MoneyField(_l("New amount"), validators=[InputRequired(), NumberRange(min=0)])
    # Not required here: the service says why a reason is needed, in the same words as the API.
    reason = TextAreaField(_l("Why the amount changes"), validators=[Length(max=2000)])


class DenyForm(FlaskForm):
    """Refuse the refund; the reason is shown to the customer."""

    reason = TextAreaField(_l("Reason (the customer is told)"), validators=[Length(max=2000)])


class BulkApproveForm(FlaskForm):
    """Approve several refunds: the first post shows the total, the confirmed one runs."""
