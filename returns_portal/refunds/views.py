"""Finance pages: the refund queue, one refund's file and its decisions, the CSV export."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from returns_portal.accounts.access import role_required
from returns_portal.accounts.models import Role, User
from returns_portal.inputs import parse_int
from returns_portal.refunds import exports
from returns_portal.refunds import services as refunds
from returns_portal.refunds.forms import (
    METHOD_LABELS,
    STATUS_LABELS,
    AdjustForm,
    ApproveForm,
    BulkApproveForm,
    DenyForm,
    QueueFilterForm,
)
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.settlement import PART_OF_METHOD
from returns_portal.refunds.snapshots import breakdown_of
from returns_portal.storage import storage

bp = Blueprint("refunds", __name__, url_prefix="/finance")
FINANCE = (Role.FINANCE,)  # admins pass every role check
BULK_LIMIT = 200


@bp.app_context_processor
def labels() -> dict[str, object]:
    return {"REFUND_STATUS_LABELS": STATUS_LABELS, "REFUND_METHOD_LABELS": METHOD_LABELS}


def _user() -> User:
    return cast(User, current_user._get_current_object())


def _refund(refund_id: int) -> Refund:
    refund = refunds.get_refund(refund_id)
    if refund is None:
        abort(404)
    return refund


def _amount(refund: Refund) -> str:
    return f"{refund.currency} {exports.to_major(refund.amount, refund.currency)}"


def _outcome(refund: Refund) -> str:
    """Say what an approval led to, in the finance user's words."""
    amount = _amount(refund)
    if refund.status == RefundStatus.SUCCEEDED:
        return _("Refund paid: %(amount)s.", amount=amount)
    if refund.status == RefundStatus.PROPOSED:
        return _("Your approval is recorded; a second finance user must approve it too.")
    if refund.status == RefundStatus.FAILED:
        return _(
            "The payment provider did not pay it: %(message)s It stays in the queue and "
            "reconcile retries it.",
            message=refund.failure_message or "",
        )
    if refund.status == RefundStatus.APPROVED:
        return _("Approved: %(amount)s is being paid in the background.", amount=amount)
    return _("Sent to the payment provider; the outcome is not known yet.")


@bp.get("/refunds")
@role_required(*FINANCE)
def queue() -> str:
    """List refunds waiting for finance (or as filtered), with totals per currency."""
    form = QueueFilterForm(request.args)
    wanted = form.to_filter() if form.validate() else exports.QueueFilter()
    return render_template(
        "refunds/queue.html",
        form=form,
        queue=exports.refund_queue(wanted),
        bulk=BulkApproveForm(),
        limit=exports.QUEUE_LIMIT,
    )


@bp.get("/refunds/<int:refund_id>")
@role_required(*FINANCE)
def detail(refund_id: int) -> str:
    """Show the refund's breakdown, the inspection and the policy's reasons, with decisions."""
    refund = _refund(refund_id)
    together = refunds.return_refunds(refund.return_id) if refund.return_id else [refund]
    return render_template(
        "refunds/detail.html",
        file=exports.refund_file(refund),
        settlement=breakdown_of(refund.breakdown).settlement,
        parts={row.method: row for row in together},
        SETTLEMENT_KEYS=PART_OF_METHOD,
        remaining=refunds.refundable(refund, exclude_self=True),
        needed=refunds.approvals_needed(refund),
        approve=ApproveForm(),
        adjust=AdjustForm(),
        deny=DenyForm(),
    )


PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.get("/refunds/<int:refund_id>/photos/<key>")
@role_required(*FINANCE)
def photo(refund_id: int, key: str) -> Response:
    """Serve one photo of the refund's items (the customer's or the warehouse's), no other."""
    refund = _refund(refund_id)
    allowed = {k for finding in exports.refund_file(refund).findings for k in finding.photos}
    if key not in allowed:
        abort(404)
    try:
        data = storage().load(key)
    except KeyError:
        abort(404)
    response = Response(data, mimetype=PHOTO_TYPES.get(key.rsplit(".", 1)[-1], "image/jpeg"))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/refunds/<int:refund_id>/approve")
@role_required(*FINANCE)
def approve(refund_id: int) -> BaseResponse:
    """Approve the refund; with enough approvals it is paid."""
    _refund(refund_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            refund = refunds.approve_refund(refund_id, _user(), form.note.data or "")
        except refunds.RefundError as exc:
            flash(str(exc))
        else:
            flash(_outcome(refund))
    return redirect(url_for("refunds.detail", refund_id=refund_id))


@bp.post("/refunds/<int:refund_id>/retry")
@role_required(*FINANCE)
def retry(refund_id: int) -> BaseResponse:
    """Pay a failed refund again now."""
    _refund(refund_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            refund = refunds.retry_refund(refund_id, _user())
        except refunds.RefundError as exc:
            flash(str(exc))
        else:
            flash(_outcome(refund))
    return redirect(url_for("refunds.detail", refund_id=refund_id))


@bp.post("/refunds/<int:refund_id>/adjust")
@role_required(*FINANCE)
def adjust(refund_id: int) -> BaseResponse:
    """Change a proposed refund's amount, with a reason."""
    current = _refund(refund_id)
    form = AdjustForm()
    if not form.validate_on_submit() or form.amount.data is None:
        flash(_("Enter the new amount as a number, e.g. 120.50."))
        return redirect(url_for("refunds.detail", refund_id=refund_id))
    try:
        amount = exports.to_minor(form.amount.data, current.currency)
    except ValueError:
        flash(_("%(currency)s amounts have no finer unit than that; check the decimals.",
                currency=current.currency))  # fmt: skip
        return redirect(url_for("refunds.detail", refund_id=refund_id))
    try:
        refund = refunds.adjust_refund(refund_id, _user(), amount, form.reason.data or "")
    except refunds.RefundError as exc:
        flash(str(exc))
    else:
        flash(_("The refund is now %(amount)s.", amount=_amount(refund)))
    return redirect(url_for("refunds.detail", refund_id=refund_id))


@bp.post("/refunds/<int:refund_id>/deny")
@role_required(*FINANCE)
def deny(refund_id: int) -> BaseResponse:
    """Deny the refund, with the reason the customer is told."""
    _refund(refund_id)
    form = DenyForm()
    if form.validate_on_submit():
        try:
            refunds.deny_refund(refund_id, _user(), form.reason.data or "")
        except refunds.RefundError as exc:
            flash(str(exc))
        else:
            flash(_("The refund is denied; it will not be paid."))
    return redirect(url_for("refunds.detail", refund_id=refund_id))


@bp.post("/refunds/bulk-approve")
@role_required(*FINANCE)
def bulk_approve() -> str | BaseResponse:
    """Approve the ticked refunds: first show what would be paid, then run once confirmed."""
    form = BulkApproveForm()
    parsed = (parse_int(raw, minimum=1) for raw in request.form.getlist("ids"))
    ids = tuple(dict.fromkeys(i for i in parsed if i is not None))[:BULK_LIMIT]
    if not form.validate_on_submit() or not ids:
        flash(_("Tick the refunds to approve first."))
        return redirect(url_for("refunds.queue"))
    if request.form.get("confirm") != "yes":
        chosen = exports.refund_queue(
            exports.QueueFilter(statuses=(RefundStatus.PROPOSED.value,), ids=ids)
        )
        return render_template("refunds/bulk_confirm.html", queue=chosen, form=form)
    names = {
        row.refund.id: row.return_number or row.order_number
        for row in exports.refund_queue(exports.QueueFilter(statuses=(), ids=ids)).rows
    }
    paid = waiting = queued = 0
    refused: list[str] = []
    for refund_id in ids:
        name = names.get(refund_id, str(refund_id))
        try:
            refund = refunds.approve_refund(refund_id, _user())
        except refunds.RefundError as exc:
            refused.append(_("%(name)s: %(message)s", name=name, message=str(exc)))
            continue
        if refund.status == RefundStatus.SUCCEEDED:
            paid += 1
        elif refund.status == RefundStatus.PROPOSED:
            waiting += 1
        elif refund.status in (RefundStatus.APPROVED, RefundStatus.SUBMITTED):
            queued += 1  # a background worker pays it
        else:
            refused.append(_("%(name)s: %(message)s", name=name, message=_outcome(refund)))
    flash(ngettext("%(num)d refund paid.", "%(num)d refunds paid.", paid))
    if queued:
        flash(ngettext("%(num)d refund is being paid in the background.",
                       "%(num)d refunds are being paid in the background.", queued))  # fmt: skip
    if waiting:
        flash(ngettext("%(num)d refund needs a second approver.",
                       "%(num)d refunds need a second approver.", waiting))  # fmt: skip
    if refused:
        flash(ngettext("%(num)d refund not paid:", "%(num)d refunds not paid:", len(refused)))
        for message in refused:
            flash(message)
    return redirect(url_for("refunds.queue"))


@bp.get("/exports/refunds.csv")
@role_required(*FINANCE)
def export_csv() -> str | Response | tuple[str, int]:
    """Download refunds created between two days as CSV, one row per line and deduction."""
    try:
        first, last = exports.parse_range(request.args.get("from"), request.args.get("to"))
    except exports.ExportRangeError:
        return render_template(
            "refunds/bad_dates.html", start=request.args.get("from"), end=request.args.get("to")
        ), 400
    body = exports.export_csv(first, last, exports.store_zone())
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="refunds-{first}-{last}.csv"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )
