"""Forms of the customer flow. Everything here is untrusted input, checked again by services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from returns_portal.inputs import parse_int
from returns_portal.returns.services import SubmittedItem


class LookupForm(FlaskForm):
    """Find an order by its number and the email address or postal code on it."""

    order_number = StringField(
        _l("Order number"),
        validators=[DataRequired(_l("Enter your order number.")), Length(max=64)],
    )
    contact = StringField(
        _l("Email address or postal code"),
        validators=[
            DataRequired(_l("Enter the email address or postal code of the order.")),
            Length(max=320),
        ],
    )


class StepForm(FlaskForm):
    """A step whose fields are rendered per order line; this form carries the CSRF token."""


def parse_items(
    form: ImmutableMultiDict[str, str],
    files: ImmutableMultiDict[str, FileStorage],
    line_ids: list[str],
) -> tuple[list[SubmittedItem], dict[str, list[FileStorage]]]:
    """Read quantity, reason, note and photo files per line; a bad number counts as 0."""
    items = []
    uploads: dict[str, list[FileStorage]] = {}
    for line_id in line_ids:
        quantity = parse_int(form.get(f"qty-{line_id}"), maximum=99_999) or 0
        items.append(
            SubmittedItem(
                line_id=line_id,
                quantity=quantity,
                reason=form.get(f"reason-{line_id}", ""),
                note=form.get(f"note-{line_id}", "")[:500],
            )
        )
        chosen = [f for f in files.getlist(f"photos-{line_id}") if f and f.filename]
        if chosen and quantity > 0:
            uploads[line_id] = chosen[:5]
    return items, uploads
