"""Customer-facing pages: find the order, choose items, options, review, confirm, track."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from babel.lists import format_list
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from limits import parse
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from returns_portal.api.errors import error as api_error
from returns_portal.extensions import limiter
from returns_portal.returns import pages, services
from returns_portal.returns.documents import render_return_document
from returns_portal.returns.forms import LookupForm, StepForm, parse_items
from returns_portal.returns.models import Return
from returns_portal.returns.photos import accept_photos, discard_photos
from returns_portal.returns.reasons import reason_label
from returns_portal.shipping.services import ShippingError, live_shipment, rates_for
from returns_portal.types import utcnow

bp = Blueprint("returns", __name__)
F = TypeVar("F", bound=Callable[..., Any])

ACCESS = "order_access"
DRAFT = "return_draft"
RETURNS_SEEN = "returns_seen"  # returns this browser may manage (opened from a mail)
RETURNS_VIEWED = "returns_viewed"  # returns it may only look at (opened from a printed code)


def _grant(order_number: str) -> None:
    minutes = int(current_app.config.get("ORDER_ACCESS_MINUTES", 30))
    session[ACCESS] = {
        "order": order_number,
        "until": (utcnow() + timedelta(minutes=minutes)).timestamp(),
    }


def order_required(view: F) -> F:
    """Let the view run only inside an unexpired session opened for one order."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        access = session.get(ACCESS) or {}
        if not access or float(access.get("until", 0)) < time.time():
            if access:
                flash(_("For your security the session ended. Please find your order again."))
            return redirect(url_for("returns.index"))
        order = services.load_customer_order(str(access["order"]))
        if order is None:
            session.pop(ACCESS, None)
            return redirect(url_for("returns.index"))
        _grant(order.number)  # activity keeps the session alive
        g.order = order
        g.draft = services.Draft.from_session(session.get(DRAFT), order.number)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _save_draft() -> None:
    session[DRAFT] = g.draft.to_session()


@bp.app_template_filter("reasons_or")
def reasons_or(codes: Iterable[str]) -> str:
    """Name return reasons as one list in the reader's language: "Defective or Wrong item"."""
    return format_list([reason_label(code) for code in codes], style="or", locale=get_locale())


@bp.get("/")
def index() -> str:
    """Show the landing page with the find-your-order form."""
    return render_template("returns/index.html", form=LookupForm())


class OrderGuesses:
    """Lookups of one order number that did not match, limited on top of the per-address limit.

    Order numbers are sequential and postal codes guessable: guesses spread over many
    addresses must run out too. Counted in the limiter's storage (Redis, or this process's
    memory while Redis is down), under LOOKUP_ORDER_FAILURE_LIMIT.
    """

    def __init__(self, number: str) -> None:
        self.limit = parse(current_app.config.get("LOOKUP_ORDER_FAILURE_LIMIT", "5 per hour"))
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
        # The number as services.find_order reads it (stripped), so that every spelling that
        # could match an order counts against that order.
        self.ids = [part for part in (prefix, "returns.lookup/order", number.strip()) if part]

    def take(self) -> bool:
        """Count one guess; return False when the number has had its share for now.

        Counted before the order is looked up, not after a miss: a burst sent at once from
        many addresses would otherwise all be checked before any of it was counted. A match
        then forgets the count (`forget`), so finding one's order never uses it up.
        """
        if not limiter.enabled:
            return True
        try:
            return limiter.limiter.hit(self.limit, *self.ids)
        except Exception:  # the storage failed mid-request: answer, as RATELIMIT_SWALLOW_ERRORS
            current_app.logger.exception("Could not count a lookup of an order number")
            return True

    def forget(self) -> None:
        """Forget the guesses: the customer knew the order's email or postal code."""
        try:
            limiter.limiter.clear(self.limit, *self.ids)
        except Exception:
            current_app.logger.exception("Could not reset the lookups of an order number")

    def retry_after(self) -> int:
        """Return the seconds until the number may be tried again."""
        try:
            reset = limiter.limiter.get_window_stats(self.limit, *self.ids).reset_time
        except Exception:
            return int(self.limit.get_expiry())
        return max(1, math.ceil(reset - time.time()))


@bp.post("/lookup")
@limiter.limit(lambda: current_app.config.get("LOOKUP_RATE_LIMIT", "10 per minute;60 per hour"))
def lookup() -> str | BaseResponse:
    """Open a session for the order when its number and email or postal code match."""
    started = time.monotonic()
    form = LookupForm()
    order = None
    if form.validate_on_submit():
        guesses = OrderGuesses(form.order_number.data or "")
        if not guesses.take():
            # Refused before looking, exists or not: the answer tells nothing about the order.
            form.form_errors.append(
                _("Too many tries for this order number. For your security, please try again "
                  "later.")
            )  # fmt: skip
            response = make_response(render_template("returns/index.html", form=form), 429)
            response.headers["Retry-After"] = str(guesses.retry_after())
            return response
        order = services.find_order(form.order_number.data or "", form.contact.data or "")
        if order is not None:
            guesses.forget()
    # Answer in about the same time whether the order exists or not (no enumeration).
    floor = float(current_app.config.get("LOOKUP_MIN_SECONDS", 0.3))
    time.sleep(max(0.0, floor - (time.monotonic() - started)))
    if order is None:
        if not form.errors:
            form.form_errors.append(
                _("We couldn't find an order with those details. Check the order number and "
                  "the email address or postal code, as they appear on your order confirmation.")
            )  # fmt: skip
        return render_template("returns/index.html", form=form)
    # A fresh session for this order: nothing of another order's return survives, only the
    # language the customer picked.
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    _grant(order.number)
    return redirect(url_for("returns.items"))


@bp.route("/return/items", methods=["GET", "POST"])
@order_required
def items() -> str | BaseResponse:
    """Choose the items to return, how many, and why."""
    context = services.order_context(g.order)
    choices = services.line_choices(context, utcnow())
    form = StepForm()
    errors: dict[str, list[str]] = {}
    shown = services.items_on_page(choices, g.draft)
    if form.validate_on_submit():
        submitted, uploads = parse_items(
            request.form, request.files, [c.line.line_ref for c in choices]
        )
        # Shown again as the customer left them if something needs fixing: a line without
        # a reason is not kept in the draft, but its quantity must not fall back to 0.
        shown = {s.line_id: s for s in submitted}
        keys, errors = accept_photos(uploads)
        submitted = [
            services.SubmittedItem(
                s.line_id, s.quantity, s.reason, s.note, tuple(keys.get(s.line_id, ()))
            )
            for s in submitted
        ]
        for line_id, problems in services.choose_items(choices, submitted, g.draft).items():
            errors.setdefault(line_id, []).extend(problems)
        kept = {key for item in g.draft.items for key in item.photos}
        discard_photos(k for ks in keys.values() for k in ks if k not in kept)
        if not errors:
            rates = {key: rate.amount for key, rate in rates_for(g.order).items()}
            # When the options page would ask nothing (its defaults stand), go straight to
            # the review, which shows them with a link back to change them.
            skip = services.take_default_options(choices, g.draft, rates)
            _save_draft()
            return redirect(url_for("returns.review" if skip else "returns.options"))
        _save_draft()
    elif form.is_submitted():
        errors["form"] = [_("The page was open too long. Please try again.")]
    return render_template(
        "returns/items.html",
        order=g.order,
        choices=choices,
        draft=g.draft,
        shown=shown,
        prices={c.line.line_ref: services.price_paid(c.line) for c in choices},
        form=form,
        errors=errors,
    )


@bp.route("/return/options", methods=["GET", "POST"])
@order_required
def options() -> str | BaseResponse:
    """Choose refund, store credit or exchange per item, and how to send the parcel."""
    if not g.draft.items:
        return redirect(url_for("returns.items"))
    context = services.order_context(g.order)
    choices = services.line_choices(context, utcnow())
    if services.draft_errors(choices, g.draft):
        return redirect(url_for("returns.items"))
    rates = rates_for(g.order)
    form = StepForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        line_ids = [item.line_id for item in g.draft.items]
        errors = services.choose_resolutions(
            choices,
            g.draft,
            {i: request.form.get(f"resolution-{i}", "") for i in line_ids},
            {i: request.form.get(f"exchange-{i}", "") for i in line_ids},
            request.form.get("method", ""),
            request.form.get("carrier", ""),
            {key: rate.amount for key, rate in rates.items()},
        )
        _save_draft()
        if not errors:
            return redirect(url_for("returns.review"))
    page = pages.options_page(context, choices, g.draft, rates, utcnow())
    return render_template(
        "returns/options.html", **pages.context_of(page), draft=g.draft, form=form, errors=errors
    )


def _label_cost() -> int | None:
    rate = rates_for(g.order).get(f"{g.draft.carrier}:{g.draft.service}")
    return rate.amount if rate else None


@bp.route("/return/review", methods=["GET", "POST"])
@order_required
def review() -> str | BaseResponse:
    """Show the refund estimate and what goes in the box; confirm to create the return."""
    if request.method == "POST":
        # A confirm that already created a return (double tap, back button): show it.
        existing = services.find_by_token(request.form.get("token", ""))
        if existing is not None and existing.order_id == g.order.id:
            return redirect(url_for("returns.track", number=existing.number))
    if not g.draft.items or not g.draft.carrier:
        return redirect(url_for("returns.options" if g.draft.items else "returns.items"))
    context = services.order_context(g.order)
    if services.draft_errors(services.line_choices(context, utcnow()), g.draft):
        flash(_("Something changed since you chose your items. Please check them again."))
        return redirect(url_for("returns.items"))
    form = StepForm()
    if form.validate_on_submit():
        if request.form.get("token") != g.draft.token:
            flash(_("Your return changed in another window. Please check it and confirm again."))
            return redirect(url_for("returns.review"))
        try:
            rma = services.open_return(context, g.draft, _label_cost(), str(get_locale()))
        except services.ReturnError as exc:
            flash(str(exc))
            return redirect(url_for("returns.items"))
        session.pop(DRAFT, None)
        session[RETURNS_SEEN] = [*session.get(RETURNS_SEEN, [])[-9:], rma.number]
        return redirect(url_for("returns.track", number=rma.number, confirmed=1))
    rate = rates_for(g.order).get(f"{g.draft.carrier}:{g.draft.service}")
    evaluation = services.estimate(context, g.draft, utcnow(), rate.amount if rate else None)
    lines = {line.line_ref: line for line in g.order.lines}
    return render_template(
        "returns/review.html", order=g.order, draft=g.draft, evaluation=evaluation,
        lines=lines, form=form, rate=rate,
        coupon=services.coupon_shares(context, g.draft),
        bonus_percent=int(
            context.rules.document["resolutions"].get("store_credit_bonus_percent") or 0
        ),
        settlement=services.draft_settlement(g.draft, evaluation.refund.to_dict()),
    )  # fmt: skip


def _visible_return(number: str, manage: bool = False) -> Return:
    """Return the RMA if this browser may see it, or with `manage` change it: its order's
    session or a mail's link may do both; the QR code printed on the parcel only shows it."""
    rma = services.load_return(number)
    if rma is None:
        abort(404)
    if _may(rma, manage=True) or (not manage and _may(rma, manage=False)):
        return rma
    abort(404)  # the same answer as an unknown number: nothing to enumerate


def _may(rma: Return, manage: bool) -> bool:
    """Tell whether this browser may manage (or, with manage=False, view) the return."""
    access = session.get(ACCESS) or {}
    seen = RETURNS_SEEN if manage else RETURNS_VIEWED
    order_session = access.get("order") == rma.order.number
    if manage and order_session and float(access.get("until", 0)) >= time.time():
        return True
    if rma.number in session.get(seen, []):
        return True
    token = request.args.get("t")
    purpose = "manage" if manage else "view"
    if token and services.return_from_link_token(token, purpose) == rma.number:
        session[seen] = [*session.get(seen, [])[-9:], rma.number]
        return True
    return False


@bp.get("/returns/<number>")
def track(number: str) -> str:
    """Show the return's timeline, next step, documents and refund due date."""
    rma = _visible_return(number)
    page = pages.track_page(rma)
    return render_template(
        "returns/track.html", **{**pages.context_of(page),
                                 "cancellable": page.cancellable and _may(rma, manage=True)},
        confirmed=request.args.get("confirmed") == "1", form=StepForm(),
    )  # fmt: skip


@bp.route("/returns/<number>/cancel", methods=["GET", "POST"])
def cancel(number: str) -> str | BaseResponse:
    """Ask for confirmation, then cancel a return that has not shipped."""
    rma = _visible_return(number, manage=True)
    form = StepForm()
    if form.validate_on_submit():
        try:
            services.cancel_return(rma)
        except services.ReturnError as exc:
            flash(str(exc))
        else:
            flash(
                _(
                    "Your return %(number)s is cancelled. The label no longer works.",
                    number=rma.number,
                )
            )
        return redirect(url_for("returns.track", number=rma.number))
    return render_template("returns/cancel.html", rma=rma, form=form)


# Pictures the return's page shows inline; the rest are downloads.
INLINE_DOCUMENTS = frozenset({"qr.svg", "label.svg"})


@bp.get(
    "/returns/<number>/"
    "<any('label.pdf', 'label.svg', 'label.zpl', 'slip.pdf', 'qr.svg', 'qr.png'):document>"
)
def document(number: str, document: str) -> Response:
    """Download the return's label (PDF, SVG or ZPL), packing slip or drop-off QR code."""
    rma = _visible_return(number)
    if document != "slip.pdf" and live_shipment(rma) is None:
        # Its label was voided (the return was cancelled): say so instead of failing.
        return Response(render_template("returns/error.html", code=410, rma=rma), status=410)
    try:
        body, mimetype = render_return_document(rma, document)
    except ShippingError:  # the carrier's own label file can't be fetched just now
        return Response(render_template("returns/error.html", code=503, rma=rma), status=503)
    response = Response(body, mimetype=mimetype)
    if document not in INLINE_DOCUMENTS:
        response.headers["Content-Disposition"] = f'attachment; filename="{rma.number}-{document}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_errorhandler(404)
@bp.app_errorhandler(413)
@bp.app_errorhandler(429)
def customer_error(exc: HTTPException) -> tuple[str, int] | Response:
    """Explain errors on customer pages in plain words; API clients get the API's JSON."""
    if request.path.startswith("/api/"):
        return api_error(exc.code or 500, exc.description or exc.name)
    return render_template("returns/error.html", code=exc.code), exc.code or 500


@bp.get("/healthz")
def health() -> dict[str, str]:
    """Answer a load balancer's liveness probe."""
    return {"status": "ok"}
