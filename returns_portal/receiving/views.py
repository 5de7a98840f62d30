"""The warehouse scan station: receive parcels, count items in, inspect, print bin labels.

Each view parses the request (the inspection or parcel its path names is part of that:
unknown, 404), makes one service call and renders or redirects; a page's data comes from one
page-model call (`receiving.pages`).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from returns_portal.accounts.access import current_actor, role_required
from returns_portal.accounts.models import Role
from returns_portal.filters import money
from returns_portal.inputs import INT32_MAX, parse_int
from returns_portal.receiving import documents, pages
from returns_portal.receiving import services as receiving
from returns_portal.receiving.forms import ActionForm, AttachForm, ScanForm, UnidentifiedForm
from returns_portal.receiving.models import Inspection, UnidentifiedParcel
from returns_portal.returns.photos import accept_photos

bp = Blueprint("receiving", __name__, url_prefix="/warehouse")
# An inspection's pages keep the path staff know them by, /warehouse/receipts/<id>: the
# endpoints and parameters use the design's word (receiving.inspection, inspection_id).
STAFF = (Role.WAREHOUSE,)  # admins pass every role check
FEEDBACK = "scan_feedback"


def _feedback(kind: str, message: str) -> None:
    """Remember the last scan's result for the next page: a big banner and a sound."""
    session[FEEDBACK] = {"kind": kind, "message": message}


def _inspection(inspection_id: int) -> Inspection:
    inspection = receiving.load_inspection(inspection_id)
    if inspection is None:
        abort(404)
    return inspection


def _parcel(parcel_id: int) -> UnidentifiedParcel:
    parcel = receiving.load_parcel(parcel_id)
    if parcel is None:
        abort(404)
    return parcel


@bp.route("/scan", methods=["GET", "POST"])
@role_required(*STAFF)
def scan() -> str | BaseResponse:
    """Scan a parcel: its RMA barcode, tracking number or drop-off QR code."""
    form = ScanForm()
    if form.validate_on_submit():
        code = (form.code.data or "").strip()
        try:
            inspection = receiving.receive_scan(code, current_actor())
        except receiving.ReceivingError as exc:
            _feedback("bad", str(exc))
            return redirect(url_for("receiving.scan"))
        if inspection is None:
            _feedback("bad", _("No return matches %(code)s.", code=code))
            return redirect(url_for("receiving.unidentified", code=code))
        _feedback("ok", _("Return %(number)s: parcel %(n)d.",
                          number=inspection.rma.number, n=inspection.parcels))  # fmt: skip
        return redirect(url_for("receiving.inspection", inspection_id=inspection.id))
    return render_template("receiving/scan.html", form=form, feedback=session.pop(FEEDBACK, None))


@bp.get("/receipts/<int:inspection_id>")
@role_required(*STAFF)
def inspection(inspection_id: int) -> str:
    """Show what the return should contain, what has been counted, and what is left to do."""
    page = pages.inspection_page(inspection_id)
    if page is None:
        abort(404)
    return render_template(
        "receiving/inspection.html",
        page=page,
        form=ScanForm(),
        action=ActionForm(),
        feedback=session.pop(FEEDBACK, None),
    )


@bp.post("/receipts/<int:inspection_id>/scan")
@role_required(*STAFF)
def scan_item(inspection_id: int) -> BaseResponse:
    """Count a scanned item (SKU or GTIN) into the inspection."""
    current = _inspection(inspection_id)
    form = ScanForm()
    if form.validate_on_submit():
        try:
            result = receiving.scan_item(current, form.code.data or "", current_actor())
        except receiving.ReceivingError as exc:
            _feedback("bad", str(exc))
        else:
            _feedback("ok" if result.kind == "counted" else "bad", result.message)
    return redirect(url_for("receiving.inspection", inspection_id=inspection_id))


@bp.route("/receipts/<int:inspection_id>/items/<int:item_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def inspect(inspection_id: int, item_id: int) -> str | BaseResponse:
    """Answer the item's checklist, grade it and choose where it goes."""
    page = pages.item_page(inspection_id, item_id)
    if page is None:
        abort(404)
    expected = page.expected
    form = ActionForm()
    error = None
    if form.validate_on_submit():
        uploads = [f for f in request.files.getlist("photos") if f and f.filename][:5]
        keys, photo_errors = accept_photos({"item": uploads}) if uploads else ({}, {})
        answers = {q.code: request.form.get(f"q-{q.code}") == "yes" for q in page.questions
                   if request.form.get(f"q-{q.code}") in {"yes", "no"}}  # fmt: skip
        raw_value = request.form.get("diminished_value", "0").strip() or "0"
        # Negative numbers pass here so that the service can say why they are refused.
        value = parse_int(raw_value, minimum=-INT32_MAX, maximum=INT32_MAX)
        try:
            if value is None:
                raise receiving.ReceivingError(
                    _("Enter the diminished value as a whole number of minor units, e.g. 1500.")
                )
            receiving.record_inspection(
                page.inspection, expected.finding, answers, request.form.get("grade", ""),
                request.form.get("disposition") or None, request.form.get("override_reason", ""),
                request.form.get("notes", ""), value,
                current_actor(), photos=keys.get("item", []),
            )  # fmt: skip
            if photo_errors:
                raise receiving.ReceivingError("; ".join(photo_errors["item"]))
        except receiving.ReceivingError as exc:
            error = str(exc)
        else:
            _feedback("ok", _("%(name)s: grade %(grade)s, %(disposition)s.",
                              name=expected.line.product_name, grade=expected.finding.grade,
                              disposition=expected.finding.disposition))  # fmt: skip
            return redirect(url_for("receiving.inspection", inspection_id=inspection_id))
    return render_template("receiving/inspect.html", page=page, form=form, error=error)


@bp.post("/receipts/<int:inspection_id>/complete")
@role_required(*STAFF)
def complete(inspection_id: int) -> BaseResponse:
    """Finish the inspection: restock and propose the refund."""
    current = _inspection(inspection_id)
    if ActionForm().validate_on_submit():
        try:
            refund = receiving.complete_inspection(current, current_actor())
        except receiving.ReceivingError as exc:
            _feedback("bad", str(exc))
        else:
            _feedback("ok", _("Receipt complete. Refund proposed: %(amount)s.",
                              amount=money(refund.amount, refund.currency)))  # fmt: skip
    return redirect(url_for("receiving.inspection", inspection_id=inspection_id))


@bp.get("/receipts/<int:inspection_id>/items/<int:item_id>/<any('bin.pdf', 'bin.zpl'):kind>")
@role_required(*STAFF)
def bin_label(inspection_id: int, item_id: int, kind: str) -> Response:
    """Print the bin label that says where the item goes."""
    label = documents.bin_label(inspection_id, item_id, kind)
    if label is None:
        abort(404)
    body, mimetype = label
    return Response(body, mimetype=mimetype)


@bp.route("/unidentified", methods=["GET", "POST"])
@role_required(*STAFF)
def unidentified() -> str | BaseResponse:
    """The queue of parcels that matched no return: register, search, attach."""
    form = UnidentifiedForm()
    if form.validate_on_submit():
        parcel = receiving.register_unidentified(
            form.code.data or "", current_actor(), sender_name=form.sender_name.data or "",
            sender_email=form.sender_email.data or "", order_number=form.order_number.data or "",
            notes=form.notes.data or "",
        )  # fmt: skip
        _feedback("ok", _("Parcel %(id)d is in the unidentified queue.", id=parcel.id))
        return redirect(url_for("receiving.scan"))
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    query = request.args.get("q", "")
    return render_template(
        "receiving/unidentified.html", form=form, query=query,
        parcels=receiving.search_unidentified(query), attach=AttachForm(),
        feedback=session.pop(FEEDBACK, None),
    )  # fmt: skip


@bp.post("/unidentified/<int:parcel_id>/attach")
@role_required(*STAFF)
def attach(parcel_id: int) -> BaseResponse:
    """Attach a queued parcel to its return and continue with its inspection."""
    parcel = _parcel(parcel_id)
    form = AttachForm()
    if form.validate_on_submit():
        try:
            inspection = receiving.attach_parcel(
                parcel, form.rma_number.data or "", current_actor()
            )
        except receiving.ReceivingError as exc:
            _feedback("bad", str(exc))
            return redirect(url_for("receiving.unidentified"))
        return redirect(url_for("receiving.inspection", inspection_id=inspection.id))
    return redirect(url_for("receiving.unidentified"))
