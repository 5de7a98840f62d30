"""The returns desk's pages, at /staff/returns: the list, a return's page, and one page per
action (it asks for the reason and a confirmation before anything changes)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from returns_portal.accounts.access import current_actor, has_role, role_required
from returns_portal.accounts.models import Role
from returns_portal.desk import services
from returns_portal.desk.forms import (
    LATE_WORDS,
    RESOLUTION_WORDS,
    STATUS_WORDS,
    ActionForm,
    NoteForm,
    SearchForm,
    any_of,
)
from returns_portal.desk.pages import changes, desk_return, mail_of, photo_keys
from returns_portal.desk.queries import Filters, carriers_in_use, name_searchable, search_returns
from returns_portal.refunds.forms import METHOD_LABELS as REFUND_METHOD_LABELS
from returns_portal.refunds.forms import STATUS_LABELS as REFUND_STATUS_LABELS
from returns_portal.returns.models import Return
from returns_portal.returns.services import load_return
from returns_portal.storage import storage

bp = Blueprint("desk", __name__, url_prefix="/staff/returns")

REPLACEMENT_WORDS = {
    "pending": _l("waiting for stock"),
    "handed_to_fulfilment": _l("handed to fulfilment"),
    "shipped": _l("shipped"),
    "cancelled": _l("cancelled"),
}


@dataclass(frozen=True)
class Action:
    """A desk action's page: what it is called, what it asks, and the service it runs."""

    title: LazyString
    explain: LazyString
    button: LazyString
    asks_reason: bool
    asks_day: bool
    roles: tuple[Role, ...]
    done: LazyString  # said once it is done


ACTIONS: dict[str, Action] = {
    "approve": Action(
        _l("Approve this return"),
        _l("The customer is e-mailed that the return is accepted, with the label, and the "
           "warehouse may receive the parcel. Its refund still waits for finance."),
        _l("Approve"), False, False, services.SUPPORT,
        _l("Approved: the customer is e-mailed their label."),
    ),
    "reject": Action(
        _l("Reject this return"),
        _l("The label stops working and the customer is e-mailed your reason. This can't "
           "be undone."),
        _l("Reject"), True, False, services.SUPPORT,
        _l("Rejected: the customer is e-mailed why."),
    ),
    "cancel": Action(
        _l("Cancel for the customer"),
        _l("The label stops working and any exchange stock is released; the customer is "
           "e-mailed. This can't be undone."),
        _l("Cancel the return"), True, False, services.SUPPORT,
        _l("Cancelled: the customer is e-mailed."),
    ),
    "resend": Action(
        _l("Resend the confirmation"),
        _l("The customer is e-mailed their return's details again, with the label while it "
           "works."),
        _l("Resend"), False, False, services.SUPPORT,
        _l("Sent: the customer is e-mailed the confirmation again."),
    ),
    "reissue": Action(
        _l("Void the label and issue a new one"),
        _l("The old label stops working; the customer is e-mailed the new one."),
        _l("Issue a new label"), True, False, services.SUPPORT,
        _l("A new label is issued and e-mailed; the old one no longer works."),
    ),
    "extend": Action(
        _l("Give more time to send it"),
        _l("The customer is e-mailed the new last day to send the parcel."),
        _l("Give more time"), True, True, services.SUPPORT,
        _l("The customer has more time, and is e-mailed the new day."),
    ),
    "accept-late": Action(
        _l("Accept this expired return as goodwill"),
        _l("A new label is issued and the customer is e-mailed it, with the last day to "
           "send the parcel."),
        _l("Accept it late"), True, True, services.SUPPORT,
        _l("Accepted late: the customer is e-mailed a new label."),
    ),
    "keep": Action(
        _l("Let the customer keep the items"),
        _l("The label stops working; the refund is proposed as if everything came back "
           "intact and waits for finance. The customer is e-mailed. This can't be undone."),
        _l("Refund without the items"), True, False, services.SUPPORT,
        _l("The customer keeps the items; the refund waits for finance."),
    ),
}  # fmt: skip


def _actor() -> services.Actor:
    return services.Actor(current_actor(), Role(current_user.role))


def _return_or_404(number: str) -> Return:
    rma = load_return(number)
    if rma is None:
        abort(404)
    return rma


@bp.get("")
@role_required(*services.READERS)
def index() -> str:
    """Find returns: search, filter, sort; the count of each status on top."""
    form = SearchForm(request.args)
    form.carrier.choices = any_of({c: c for c in carriers_in_use()})
    valid = form.validate()
    data = form.data if valid else {}
    filters = Filters(
        q=data.get("q") or "",
        status=data.get("status") or "",
        reason=data.get("reason") or "",
        resolution=data.get("resolution") or "",
        carrier=data.get("carrier") or "",
        flagged=bool(data.get("flagged")),
        older_than_days=data.get("older_than_days"),
        late=data.get("late") or "",
        sort=data.get("sort") or "newest",
    )
    page = request.args.get("page", 1, type=int) or 1
    found = search_returns(filters, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    term = filters.q.strip()
    short_name = bool(term) and "@" not in term and not name_searchable(term)
    return render_template(
        "desk/list.html", form=form, found=found, filters=filters, args=args,
        STATUS_WORDS=STATUS_WORDS, LATE_WORDS=LATE_WORDS, short_name=short_name,
    )  # fmt: skip


@bp.get("/<number>")
@role_required(*services.READERS)
def detail(number: str) -> str:
    """Everything about one return, and what the reader's role may do to it."""
    rma = _return_or_404(number)
    page = desk_return(rma)
    return render_template(
        "desk/return.html", page=page, rma=rma, note_form=NoteForm(), actions=_offered(rma),
        changes=changes, STATUS_WORDS=STATUS_WORDS, RESOLUTION_WORDS=RESOLUTION_WORDS,
        REFUND_STATUS_LABELS=REFUND_STATUS_LABELS, REFUND_METHOD_LABELS=REFUND_METHOD_LABELS,
        REPLACEMENT_WORDS=REPLACEMENT_WORDS,
        finance=has_role(current_user, Role.FINANCE),
    )  # fmt: skip


def _offered(rma: Return) -> list[tuple[str, Action]]:
    """The actions the return's state allows and the reader's role may take."""
    by_status = {
        "needs_review": ("approve", "reject", "cancel", "resend"),
        "requested": ("cancel",),
        "awaiting_shipment": ("cancel", "resend", "reissue", "extend", "keep"),
        "in_transit": ("resend",),
        "expired": ("accept-late",),
    }
    return [
        (name, ACTIONS[name])
        for name in by_status.get(rma.status, ())
        if has_role(current_user, *ACTIONS[name].roles)
    ]


@bp.get("/<number>/photos/<key>")
@role_required(*services.READERS)
def photo(number: str, key: str) -> Response:
    """A photo of the return (the customer's or the inspection's); no other stored file."""
    rma = _return_or_404(number)
    if key not in photo_keys(rma):
        abort(404)
    try:
        data = storage().load(key)
    except KeyError:
        abort(404)
    mimetype = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return Response(data, mimetype=mimetype, headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/<number>/mails/<int:mail_id>")
@role_required(*services.READERS)
def mail(number: str, mail_id: int) -> str:
    """A mail the customer was sent, as it was sent."""
    rma = _return_or_404(number)
    sent = mail_of(rma, mail_id)
    if sent is None:
        abort(404)
    return render_template("desk/mail.html", rma=rma, mail=sent)


@bp.post("/<number>/notes")
@role_required(*services.READERS)
def add_note(number: str) -> Response:
    rma = _return_or_404(number)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Write the note first (at most 4000 characters)."))
        return redirect(url_for("desk.detail", number=rma.number, _anchor="notes"))
    try:
        services.add_note(rma, _actor(), form.body.data or "")
    except services.DeskError as exc:
        flash(str(exc))
    else:
        flash(_("Note added."))
    return redirect(url_for("desk.detail", number=rma.number, _anchor="notes"))


NAMES = "approve, reject, cancel, resend, reissue, extend, 'accept-late', keep"


@bp.route(f"/<number>/<any({NAMES}):name>", methods=["GET", "POST"])
@role_required(Role.SUPPORT)
def act(number: str, name: str) -> str | Response | tuple[str, int]:
    """Ask for the action's reason (or day) and a confirmation; then do it."""
    rma = _return_or_404(number)
    action = ACTIONS[name]
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            _run(name, rma, form)
        except services.DeskError as exc:
            error = str(exc)
        else:
            flash(str(action.done))
            return redirect(url_for("desk.detail", number=rma.number))
    elif request.method == "POST":
        error = _("Check the form: %(errors)s", errors="; ".join(
            str(e) for errors in form.errors.values() for e in errors))  # fmt: skip
    page = render_template("desk/action.html", rma=rma, name=name, action=action, form=form,
                           error=error)  # fmt: skip
    return (page, 422) if error else page


def _run(name: str, rma: Return, form: ActionForm) -> Any:
    actor, reason, until = _actor(), form.reason.data or "", form.until.data
    if name == "approve":
        return services.approve_review(rma, actor, reason)
    if name == "reject":
        return services.reject_review(rma, actor, reason)
    if name == "cancel":
        return services.cancel_for_customer(rma, actor, reason)
    if name == "resend":
        return services.resend_confirmation(rma, actor)
    if name == "reissue":
        return services.reissue_label(rma, actor, reason)
    if name == "keep":
        return services.keep_items(rma, actor, reason)
    if until is None:
        raise services.DeskError(_("Choose the day."))
    if name == "extend":
        return services.extend_ship_by(rma, actor, until, reason)
    return services.accept_late(rma, actor, until, reason)
