"""The admin's forms: staff, API tokens, store settings and the audit log filter.

Everything here is untrusted input with generous bounds; the services check it again and
own the rules (the password policy, the last admin, the currency and the address).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, ValidationError

from returns_portal.accounts.access import ROLE_LABELS
from returns_portal.accounts.models import Role
from returns_portal.audit.services import AuditFilter


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_LABELS[role])) for role in Role]


class _NewPassword:
    """A new password typed twice; its rules are the accounts service's."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password.")), Length(max=1024)],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(_l("Enter the password again.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )


class CreateUserForm(_NewPassword, FlaskForm):
    """A new staff user with a first password the admin gives them."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter the person's email address.")), Length(max=320)],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=1000)])
    role = SelectField(
        _l("Role"),
        choices=_role_choices,
        default=Role.SUPPORT.value,
        validate_choice=True,
    )
    password = PasswordField(
        _l("First password"),
        validators=[DataRequired(_l("Enter a password.")), Length(max=1024)],
    )


class RoleForm(FlaskForm):
    """Another role for a staff user."""

    role = SelectField(_l("Role"), choices=_role_choices, validate_choice=True)


class PasswordForm(_NewPassword, FlaskForm):
    """A new password for a staff user, set by an admin."""


class ActionForm(FlaskForm):
    """A button that changes something reversible (unlock, reactivate): the CSRF token only."""


class ConfirmForm(FlaskForm):
    """The second step of an action that can't be undone: it names the action as confirmed."""

    confirm = HiddenField(validators=[AnyOf(["yes"])])


class TokenForm(FlaskForm):
    """A new API token, named after what will use it."""

    name = StringField(
        _l("Name"),
        description=_l("What will use it, e.g. the shop's order feed."),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=1000)],
    )


class StoreForm(FlaskForm):
    """The store settings the portal reads from its database."""

    store_name = StringField(
        _l("Store name"),
        description=_l("On every page, mail, label and slip. Blank: the configured name."),
        validators=[Optional(), Length(max=1000)],
    )
    time_zone = StringField(
        _l("Time zone"),
        description=_l(
            "An IANA name, e.g. Asia/Shanghai: days and times on pages, mails and exports. "
            "Blank: the configured one."
        ),
        validators=[Optional(), Length(max=1000)],
    )
    public_url = StringField(
        _l("Public URL"),
        description=_l(
            "Where customers reach the portal, for links in mails and QR codes, e.g. "
            "https://returns.example.com. Blank: the configured one."
        ),
        validators=[Optional(), Length(max=1000)],
    )

    currency = StringField(
        _l("Currency"),
        description=_l(
            "Three letters (ISO 4217), e.g. CNY. Stock prices saved without a currency keep "
            "the old one."
        ),
        validators=[DataRequired(_l("Enter the store's currency.")), Length(max=16)],
    )
    name = StringField(_l("Addressee"), validators=[Length(max=1000)])
    line1 = StringField(_l("Address line 1"), validators=[Length(max=1000)])
    line2 = StringField(_l("Address line 2"), validators=[Length(max=1000)])
    city = StringField(_l("City"), validators=[Length(max=1000)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=1000)])
    country = StringField(
        _l("Country"),
        description=_l("Two letters (ISO 3166-1), e.g. CN."),
        validators=[Length(max=1000)],
    )
    phone = StringField(_l("Phone"), validators=[Length(max=1000)])

    ADDRESS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")

    def address(self) -> dict[str, str]:
        return {key: self[key].data or "" for key in self.ADDRESS}


class AuditFilterForm(FlaskForm):
    """The audit log's filter, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    entity_type = StringField(_l("Record type"), validators=[Optional(), Length(max=32)])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    actor = StringField(
        _l("Who"),
        description=_l("A staff user's email address, or an actor as the log names it."),
        validators=[Optional(), Length(max=320)],
    )
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    since = DateField(
        _l("From"), validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    until = DateField(
        _l("To (included)"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end is before the start."))

    def to_filter(self, zone: ZoneInfo, actors: tuple[str, ...]) -> AuditFilter:
        """Return the filter, the days read as whole days in `zone` (events are stored in UTC)."""
        return AuditFilter(
            entity_type=(self.entity_type.data or "").strip(),
            entity_id=(self.entity_id.data or "").strip(),
            actors=actors,
            action=(self.action.data or "").strip(),
            since=_start_of(self.since.data, zone),
            until=_start_of(self.until.data, zone, days_after=1),
        )

    def query_args(self) -> dict[str, str]:
        """Return the filter as query-string arguments, for the next page and the export."""
        return {
            name: str(self[name].raw_data[0]).strip()
            for name in ("entity_type", "entity_id", "actor", "action", "since", "until")
            if self[name].raw_data and str(self[name].raw_data[0]).strip()
        }


def _start_of(day: date | None, zone: ZoneInfo, days_after: int = 0) -> datetime | None:
    """Return when `day` (+ `days_after`) begins in `zone`, in UTC; None for no day, and for
    a day at the calendar's very ends (year 1, 9999), which bounds nothing."""
    if day is None:
        return None
    try:
        return datetime.combine(day + timedelta(days=days_after), time.min, zone).astimezone(UTC)
    except OverflowError:
        return None
