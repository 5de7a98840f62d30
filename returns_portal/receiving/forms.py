"""Forms of the scan station (CSRF on each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ScanForm(FlaskForm):
    """One input for a keyboard-wedge scanner: it types the code and presses Enter."""

    code = StringField(_l("Scan or type a code"), validators=[DataRequired(), Length(max=200)])


class UnidentifiedForm(FlaskForm):
    """What the worker can read from a parcel that matches no return."""

    code = StringField(_l("Code on the parcel"), validators=[Optional(), Length(max=200)])
    sender_name = StringField(_l("Sender's name"), validators=[Optional(), Length(max=200)])
    sender_email = StringField(_l("Sender's email"), validators=[Optional(), Length(max=320)])
    order_number = StringField(_l("Order number"), validators=[Optional(), Length(max=64)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class AttachForm(FlaskForm):
    """Attach a queued parcel to its return."""

    rma_number = StringField(_l("Return number"), validators=[DataRequired(), Length(max=16)])


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""
