"""The admin's pages: staff, API tokens, store settings and carriers at /staff/admin; the audit
log at /staff/audit. Every page is for the admin role only.

Each action calls the same service as its `flask users …` / `flask tokens …` command, with the
signed-in admin as the audit event's actor.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask import stream_with_context as streamed
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from returns_portal.accounts import services, tokens
from returns_portal.accounts.access import Actor, current_actor, role_label, role_required
from returns_portal.accounts.admin_forms import (
    ActionForm,
    AuditFilterForm,
    ConfirmForm,
    CreateUserForm,
    PasswordForm,
    RoleForm,
    StoreForm,
    TokenForm,
)
from returns_portal.accounts.models import Role, User
from returns_portal.audit import services as audit
from returns_portal.inputs import parse_int
from returns_portal.store import settings
from returns_portal.types import utcnow

bp = Blueprint("admin", __name__, url_prefix="/staff")

AUDIT_PAGE_SIZE = 50

admin_only = role_required(Role.ADMIN)


@bp.errorhandler(CSRFError)
def form_expired(exc: HTTPException) -> tuple[str, int]:
    """Explain an expired or missing form token in plain words, on the staff layout."""
    return render_template("accounts/error.html", code=exc.code), exc.code or 400


# Overview


@bp.get("/admin")
@admin_only
def overview() -> str:
    """Link the admin's pages."""
    return render_template("admin/overview.html")


# Staff


def _staff_page(form: CreateUserForm, status: int = 200) -> tuple[str, int]:
    users = services.list_users()
    locks = services.locks_by_user(users, now=utcnow())
    return render_template("admin/staff.html", users=users, locks=locks, form=form), status


@bp.get("/admin/staff")
@admin_only
def staff() -> tuple[str, int]:
    """List staff users with their role and state, and the form to add one."""
    return _staff_page(CreateUserForm(formdata=None))


@bp.post("/admin/staff")
@admin_only
def create_user() -> BaseResponse | tuple[str, int]:
    """Create a staff user with a first password (as `flask users create`)."""
    form = CreateUserForm()
    if _valid(form, email=services.check_email, password=services.check_password):
        try:
            user = services.create_user(
                form.email.data or "",
                form.password.data or "",
                form.role.data or "",
                name=form.name.data or "",
                actor=current_actor(),
            )
        except services.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(_("Added %(email)s. Tell them their password in person.", email=user.email))
            return redirect(url_for("admin.staff_user", user_id=user.id))
    return _staff_page(form, 400)


def _valid(form: Any, **checks: Callable[[str], object]) -> bool:
    """Validate a posted form, then run the accounts service's own rule for each named field
    (the password policy…), so that a refusal is shown at its field; tell whether all pass."""
    if not form.validate_on_submit():
        return False
    valid = True
    for name, check in checks.items():
        try:
            check(form[name].data or "")
        except services.AccountError as exc:
            form[name].errors = [*form[name].errors, str(exc)]
            valid = False
    return valid


def _user_or_404(user_id: int) -> User:
    try:
        return services.user_by_id(user_id)
    except services.AccountError:
        abort(404)


def _user_page(user: User, status: int = 200, **forms: Any) -> tuple[str, int]:
    forms.setdefault("role_form", RoleForm(formdata=None, role=user.role))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    locks = services.locks_by_user([user], now=utcnow())[user.id]
    return (
        render_template("admin/staff_user.html", user=user, locks=locks, action=ActionForm(),
                        **forms),
        status,
    )  # fmt: skip


@bp.get("/admin/staff/<int:user_id>")
@admin_only
def staff_user(user_id: int) -> tuple[str, int]:
    """Show one staff user and what an admin can change about them."""
    return _user_page(_user_or_404(user_id))


@bp.post("/admin/staff/<int:user_id>/role")
@admin_only
def change_role(user_id: int) -> BaseResponse | tuple[str, int]:
    """Give a staff user another role; the last active admin keeps theirs."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(user, 400, role_form=form)
    try:
        services.change_role(user.email, form.role.data or "", actor=current_actor())
    except services.AccountError as exc:
        form.role.errors = [str(exc)]
        return _user_page(user, 400, role_form=form)
    flash(_("%(email)s's role is now %(role)s.", email=user.email, role=role_label(user.role)))
    return redirect(url_for("admin.staff_user", user_id=user.id))


@bp.post("/admin/staff/<int:user_id>/password")
@admin_only
def set_password(user_id: int) -> BaseResponse | tuple[str, int]:
    """Give a staff user a new password (as `flask users set-password`)."""
    user = _user_or_404(user_id)
    form = PasswordForm()
    if _valid(form, password=services.check_password):
        try:
            services.set_password(user.email, form.password.data, actor=current_actor())
        except services.AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            flash(_("%(email)s has a new password. Tell them in person.", email=user.email))
            return redirect(url_for("admin.staff_user", user_id=user.id))
    return _user_page(user, 400, password_form=form)


@bp.post("/admin/staff/<int:user_id>/unlock")
@admin_only
def unlock(user_id: int) -> BaseResponse:
    """Lift a staff user's sign-in lockouts at every address (as `flask users unlock`)."""
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit():
        try:
            services.unlock_user(user.email, actor=current_actor())
        except services.AccountError as exc:
            flash(str(exc))
        else:
            flash(_("%(email)s can sign in again.", email=user.email))
    return redirect(url_for("admin.staff_user", user_id=user.id))


@bp.route("/admin/staff/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_only
def deactivate(user_id: int) -> BaseResponse | str:
    """Ask, then stop a staff user from signing in (as `flask users deactivate`)."""
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("admin/confirm_deactivate.html", user=user, form=form)
    try:
        services.deactivate_user(user.email, actor=current_actor())
    except services.AccountError as exc:
        flash(str(exc))
    else:
        flash(_("%(email)s can no longer sign in.", email=user.email))
    return redirect(url_for("admin.staff_user", user_id=user.id))


@bp.post("/admin/staff/<int:user_id>/reactivate")
@admin_only
def reactivate(user_id: int) -> BaseResponse:
    """Let a deactivated staff user sign in again."""
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit():
        try:
            services.reactivate_user(user.email, actor=current_actor())
        except services.AccountError as exc:
            flash(str(exc))
        else:
            flash(_("%(email)s can sign in again.", email=user.email))
    return redirect(url_for("admin.staff_user", user_id=user.id))


# API tokens


def _tokens_page(form: TokenForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/tokens.html", tokens=tokens.list_api_tokens(), form=form), status


@bp.get("/admin/tokens")
@admin_only
def api_tokens() -> tuple[str, int]:
    """List API tokens (never their secrets) and the form to create one."""
    return _tokens_page(TokenForm(formdata=None))


@bp.post("/admin/tokens")
@admin_only
def create_token() -> Response | tuple[str, int]:
    """Create an API token and show its secret on this page only (as `flask tokens create`)."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            raw, token = tokens.create_api_token(form.name.data or "", actor=current_actor())
        except tokens.TokenError as exc:
            form.name.errors = [str(exc)]
        else:
            # The answer to this POST is the only place the secret ever appears; no cache,
            # no redirect that would carry it in a URL or the session.
            page = Response(render_template("admin/token_created.html", token=token, raw=raw))
            page.headers["Cache-Control"] = "no-store"
            return page
    return _tokens_page(form, 400)


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@admin_only
def revoke_token(token_id: int) -> BaseResponse | str:
    """Ask, then revoke an API token (as `flask tokens revoke`)."""
    token = tokens.get_api_token(token_id)
    if token is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("admin/confirm_revoke.html", token=token, form=form)
    try:
        tokens.revoke_api_token(token_id, actor=current_actor())
    except tokens.TokenError as exc:
        flash(str(exc))
    else:
        flash(_("The token %(name)s no longer works.", name=token.name))
    return redirect(url_for("admin.api_tokens"))


# Store settings and carriers


def _store_page(form: StoreForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/store.html", form=form, configured=settings.store_settings().configured
    ), status


@bp.get("/admin/store")
@admin_only
def store() -> tuple[str, int]:
    """Show the store settings: those saved here, and those set in configuration."""
    current = settings.store_settings()
    form = StoreForm(
        formdata=None, currency=current.currency, store_name=current.store_name,
        time_zone=current.time_zone, public_url=current.public_url, **current.return_address,
    )  # fmt: skip
    return _store_page(form)


@bp.post("/admin/store")
@admin_only
def save_store() -> BaseResponse | tuple[str, int]:
    """Save the store's currency and returns address."""
    form = StoreForm()
    if form.validate_on_submit():
        try:
            settings.update_store_settings(
                form.currency.data or "", form.address(), actor=current_actor(),
                store_name=form.store_name.data or "", time_zone=form.time_zone.data or "",
                public_url=form.public_url.data or "",
            )  # fmt: skip
        except settings.SettingsInvalid as exc:
            for key, messages in exc.errors.items():
                field = form[key.removeprefix("return_address.")]  # or a top-level key
                field.errors = [*field.errors, *(str(m) for m in messages)]
        else:
            flash(_("Store settings saved."))
            return redirect(url_for("admin.store"))
    return _store_page(form, 400)


@bp.get("/admin/carriers")
@admin_only
def carriers() -> str:
    """List the configured carriers, their services and prices (read-only)."""
    return render_template("admin/carriers.html", carriers=settings.carrier_prices())


# Audit log


def _audit_filter(form: AuditFilterForm) -> audit.AuditFilter:
    text = (form.actor.data or "").strip()
    actors: tuple[str, ...] = (text,) if text else ()
    if "@" in text and (user := services.find_user(text)) is not None:
        actors = (*actors, str(Actor.of(user)))  # as staff users' events name them
    return form.to_filter(settings.store_zone(), actors)


@bp.get("/audit")
@admin_only
def audit_log() -> tuple[str, int]:
    """Show the audit log newest first, filtered, a page at a time."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None, args={}), 400
    before = parse_int(request.args.get("before"), minimum=1)
    page = audit.find_events(_audit_filter(form), before=before, limit=AUDIT_PAGE_SIZE)
    return render_template(
        "admin/audit.html", form=form, page=page, args=form.query_args(), first=before is None
    ), 200


CSV_COLUMNS = (
    "id", "occurred_at_utc", "occurred_at_local", "actor", "action", "entity_type", "entity_id",
    "before", "after",
)  # fmt: skip


def _cell(value: object) -> str:
    """Return a CSV cell a spreadsheet shows as text: a leading = + - @ would run as a formula
    (OWASP "CSV injection"); actors and ids can come from what visitors typed."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/audit.csv")
@admin_only
def audit_csv() -> Response | tuple[str, int]:
    """Download the filtered audit log as CSV, streamed newest first."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None, args={}), 400
    query = _audit_filter(form)
    zone = settings.store_zone()

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for event in audit.iter_events(query):
            writer.writerow(
                [
                    event.id,
                    event.occurred_at.isoformat(),
                    event.occurred_at.astimezone(zone).isoformat(),
                    *(_cell(v) for v in (event.actor, event.action, event.entity_type)),
                    _cell(event.entity_id),
                    *(
                        ""
                        if v is None
                        else _cell(json.dumps(v, ensure_ascii=False, sort_keys=True))
                        for v in (event.before, event.after)
                    ),
                ]
            )
            if out.tell() > 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    stamp = utcnow().astimezone(zone).strftime("%Y%m%d-%H%M")
    return Response(
        streamed(rows()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
