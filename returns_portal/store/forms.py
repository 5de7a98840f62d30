"""Forms of the policy pages: the editor (common keys + the whole JSON), the diff, activation.

The editor checks nothing about the policy itself: it turns what was typed into a document
and hands it to the service, whose validation (`policy.load_policy`, the one `flask policy
load` runs) names every bad key. Numbers typed in a field are passed on as numbers when they
are whole numbers and as the text typed otherwise, so that the policy's own message is shown.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from returns_portal import policy
from returns_portal.policy.document import PAID_BY
from returns_portal.returns.reasons import REASON_LABELS

DOCUMENT_MAX = 200_000  # characters; the real documents are a few kilobytes
BLANK_WINDOW_ROWS = 3  # rows for new categories; more after saving, or in the JSON
_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")

PAID_BY_LABELS = {"customer": _l("The customer"), "merchant": _l("The shop")}

# Field name → the document path it edits (errors at that path are shown at the field).
SCALAR_FIELDS: dict[str, tuple[str, ...]] = {
    "pack": ("pack",),
    "timezone": ("timezone",),
    "paid_by": ("return_shipping", "paid_by"),
    "label_cost": ("return_shipping", "label_cost"),
    "free_above": ("return_shipping", "free_above"),
    "store_credit_bonus_percent": ("resolutions", "store_credit_bonus_percent"),
    "auto_approve_below": ("approval", "auto_approve_below"),
    "two_approvers_above": ("approval", "two_approvers_above"),
}
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "methods": ("methods",),
    "resolutions": ("resolutions", "allowed"),
}
NUMBER_FIELDS = frozenset(
    {"label_cost", "free_above", "store_credit_bonus_percent", "auto_approve_below",
     "two_approvers_above"}
)  # fmt: skip
# Blank means "none" for these; for the other numbers, blank leaves the pack's default.
NULLABLE = frozenset({"free_above", "auto_approve_below", "two_approvers_above"})
WINDOWS = ("windows", "categories")


class DocumentNotJSON(ValueError):
    """The JSON typed for the whole document does not parse."""


def _number(text: str | None) -> Any:
    raw = (text or "").strip()
    return int(raw) if _WHOLE.fullmatch(raw) else raw


def _get(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, Mapping) or key not in document:
            return None
        document = document[key]
    return document


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set `path` in `document`, leaving alone a part that is not an object (it is reported)."""
    target = document
    for key in path[:-1]:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            return
        target = inner
    target[path[-1]] = value


def _drop(document: dict[str, Any], path: tuple[str, ...]) -> None:
    parent = _get(document, path[:-1]) if len(path) > 1 else document
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


class WindowRow(Form):
    """One category's no-reason window (a row of the editor)."""

    category = StringField(_l("Category"), validators=[Optional(), Length(max=200)])
    days = StringField(_l("Days"), validators=[Optional(), Length(max=20)])


def _checkboxes(label: Any, choices: list[SelectChoice]) -> SelectMultipleField:
    # validate_choice off: an unknown value reaches the policy, which names it.
    return SelectMultipleField(
        label,
        choices=choices,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False,
    )


class PolicyEditorForm(FlaskForm):
    """The common keys of the policy, the whole document as JSON, and a dry run's order."""

    # The document the page was filled from: a field changed from it replaces the same key
    # in the JSON, so both can be edited; one left as it was lets the JSON's value stand.
    base = HiddenField()
    pack = SelectField(
        _l("Rule pack (the law it keeps)"),
        choices=[SelectChoice(code, code) for code in sorted(policy.PACKS)],
        validate_choice=False,
    )
    timezone = StringField(_l("Time zone"), validators=[Length(max=64)])
    windows = FieldList(FormField(WindowRow), label=_l("Longer windows by category"))
    paid_by = SelectField(
        _l("Return shipping paid by"),
        choices=[SelectChoice(v, PAID_BY_LABELS[v]) for v in PAID_BY],
        validate_choice=False,
    )
    label_cost = StringField(_l("Label cost (minor units)"), validators=[Length(max=20)])
    free_above = StringField(
        _l("Free return above an order value of (minor units; blank: never)"),
        validators=[Length(max=20)],
    )
    methods = _checkboxes(
        _l("Return methods"), [SelectChoice(m.value, m.value) for m in policy.ReturnMethod]
    )
    resolutions = _checkboxes(
        _l("Resolutions allowed"),
        [SelectChoice(r.value, r.value) for r in policy.Resolution],
    )
    store_credit_bonus_percent = StringField(
        _l("Store-credit bonus (percent)"), validators=[Length(max=20)]
    )
    auto_approve_below = StringField(
        _l("Approve refunds automatically below (minor units; blank: never)"),
        validators=[Length(max=20)],
    )
    two_approvers_above = StringField(
        _l("Two approvers above (minor units; blank: never)"), validators=[Length(max=20)]
    )
    document = TextAreaField(_l("The whole document (JSON)"), validators=[Length(max=DOCUMENT_MAX)])
    order_number = StringField(_l("Order number"), validators=[Length(max=64)])
    reason = SelectField(
        _l("Reason for every line"),
        choices=[SelectChoice(r.value, REASON_LABELS[r]) for r in policy.ReturnReason],
        default=policy.ReturnReason.CHANGED_MIND.value,
        validate_choice=False,
    )
    resolution = SelectField(
        _l("Resolution"),
        choices=[SelectChoice(r.value, r.value) for r in policy.Resolution],
        validate_choice=False,
    )
    method = SelectField(
        _l("Method"),
        choices=[SelectChoice(m.value, m.value) for m in policy.ReturnMethod],
        validate_choice=False,
    )
    dry_run = SubmitField(_l("Try it on this order"))
    save = SubmitField(_l("Save as a new version"))

    def fill(self, document: Mapping[str, Any]) -> None:
        """Fill every field from `document` (a page opened, not posted)."""
        self.base.data = json.dumps(document, sort_keys=True, ensure_ascii=False)
        self.document.data = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
        for name, path in SCALAR_FIELDS.items():
            value = _get(document, path)
            getattr(self, name).data = "" if value is None else str(value)
        for name, path in LIST_FIELDS.items():
            value = _get(document, path)
            getattr(self, name).data = list(value) if isinstance(value, list) else []
        categories = _get(document, WINDOWS)
        rows = dict(categories) if isinstance(categories, Mapping) else {}
        while self.windows.entries:
            self.windows.pop_entry()
        for category, days in rows.items():
            self.windows.append_entry({"category": category, "days": str(days)})
        self.add_blank_rows()

    def add_blank_rows(self) -> None:
        """Make sure there are blank rows for new categories."""
        blank = sum(1 for row in self.windows if not (row.category.data or row.days.data))
        for _ in range(BLANK_WINDOW_ROWS - blank):
            self.windows.append_entry({"category": "", "days": ""})

    def typed_windows(self) -> dict[str, Any]:
        """Return the window rows typed: category → days (a whole number, or the text)."""
        return {
            (row.category.data or "").strip(): _number(row.days.data)
            for row in self.windows
            if (row.category.data or "").strip() or (row.days.data or "").strip()
        }

    def edited_document(self) -> Any:
        """Return the document to check: the JSON typed, with the fields changed laid over it.

        Raises DocumentNotJSON when the JSON typed does not parse.
        """
        try:
            document = json.loads(self.document.data or "")
        except json.JSONDecodeError as exc:
            raise DocumentNotJSON(str(exc)) from exc
        if not isinstance(document, dict):
            return document  # the policy says what it must be
        try:
            base = json.loads(self.base.data or "{}")
        except json.JSONDecodeError:
            base = {}
        base = base if isinstance(base, dict) else {}
        document = copy.deepcopy(document)
        for name, path in SCALAR_FIELDS.items():
            raw = getattr(self, name).data
            typed: Any = _number(raw) if name in NUMBER_FIELDS else (raw or "").strip()
            was = _get(base, path)
            if typed == ("" if was is None else was):
                continue
            if typed == "":
                if name in NULLABLE:
                    _set(document, path, None)
                else:
                    _drop(document, path)
            else:
                _set(document, path, typed)
        for name, path in LIST_FIELDS.items():
            chosen = list(getattr(self, name).data or [])
            was = _get(base, path)
            if sorted(chosen) != sorted(was if isinstance(was, list) else []):
                _set(document, path, chosen)
        windows = self.typed_windows()
        was_windows = _get(base, WINDOWS)
        if windows != (dict(was_windows) if isinstance(was_windows, Mapping) else {}):
            _set(document, WINDOWS, windows)
        return document

    def field_for(self, path: str) -> str:
        """Return the id of the input an error at document `path` belongs to (else the JSON's)."""
        for name, parts in {**SCALAR_FIELDS, **LIST_FIELDS}.items():
            if path == ".".join(parts):
                return getattr(self, name).id
        prefix = ".".join(WINDOWS) + "."
        if path.startswith(prefix):
            key = path[len(prefix) :]
            for row in self.windows:
                if (row.category.data or "").strip() == key:
                    return row.days.id
        return self.document.id


class DiffForm(FlaskForm):
    """Pick two versions to compare (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    from_version = SelectField(_l("From version"), validate_choice=False)
    to_version = SelectField(_l("To version"), validate_choice=False)


class ActivateForm(FlaskForm):
    """Confirm making a saved version the active policy."""

    # The version active when the admin looked: another admin's change in between is refused.
    expected = HiddenField()
