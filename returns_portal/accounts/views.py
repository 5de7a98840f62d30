"""Staff pages: sign in, sign out, and the staff home listing what the role can open."""

from __future__ import annotations

import math
from typing import NamedTuple

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from returns_portal.accounts import services
from returns_portal.accounts.access import current_actor, role_label, role_required, safe_next_url
from returns_portal.accounts.forms import LoginForm, LogoutForm
from returns_portal.accounts.models import Role
from returns_portal.extensions import limiter
from returns_portal.types import utcnow

bp = Blueprint("accounts", __name__, url_prefix="/staff")


class Area(NamedTuple):
    """A part of the portal that staff open from the staff home."""

    title: LazyString
    description: LazyString
    path: str  # a plain path: the pages are other blueprints', which may not be loaded
    roles: tuple[Role, ...]


AREAS = (
    Area(
        _l("Warehouse scan station"),
        _l("Scan parcels, inspect items and decide where they go."),
        "/warehouse/scan",
        (Role.WAREHOUSE,),
    ),
    Area(
        _l("Finance"),
        _l("Approve refunds and reconcile payments."),
        "/finance/refunds",
        (Role.FINANCE,),
    ),
    Area(
        _l("Returns"),
        _l("Find any return, review flagged ones and act on them."),
        "/staff/returns",
        (Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE),
    ),
    Area(
        _l("Return policy"),
        _l("See every version, edit the policy, try it on an order, roll back."),
        "/staff/policy",
        (),
    ),
    Area(
        _l("Staff, API tokens and store settings"),
        _l("Invite staff, set roles, issue tokens for the shop, name the store."),
        "/staff/admin",
        (),
    ),
    Area(
        _l("Audit log"),
        _l("Who did what, and when: every recorded change."),
        "/staff/audit",
        (),
    ),
)


@bp.app_template_global("role_label")
def _role_label(role: str) -> str:
    return role_label(role)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("STAFF_LOGIN_RATE_LIMIT", "10 per minute"), methods=["POST"]
)
def login() -> str | BaseResponse:
    """Sign a staff member in, then send them where they were going (on this site only)."""
    target = safe_next_url(request.args.get("next")) or url_for("accounts.home")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data or "",
                form.password.data or "",
                actor=current_actor(),
                address=request.remote_addr or "",  # the client's, once ProxyFix has run
            )
        except services.AccountLocked as exc:
            minutes = max(1, math.ceil((exc.until - utcnow()).total_seconds() / 60))
            form.form_errors.append(
                ngettext(
                    "This account is locked after too many failed sign-ins. "
                    "Try again in %(num)d minute or ask an admin to unlock it.",
                    "This account is locked after too many failed sign-ins. "
                    "Try again in %(num)d minutes or ask an admin to unlock it.",
                    minutes,
                )
            )
        except services.LoginFailed:
            form.form_errors.append(_("Wrong email or password."))
        else:
            # A fresh session for the signed-in user: nothing from before survives but the
            # language they picked.
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            login_user(user)
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (a POST with the CSRF token, so no other site can sign staff out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        language = session.get("lang")
        session.clear()
        if language:
            session["lang"] = language
    return redirect(url_for("accounts.login"))


@bp.get("/")
@role_required(*Role)
def home() -> str:
    """List the areas the signed-in user's role can open."""
    role = Role(current_user.role)
    areas = [area for area in AREAS if role == Role.ADMIN or role in area.roles]
    return render_template("accounts/home.html", areas=areas)


@bp.errorhandler(CSRFError)
@bp.errorhandler(429)
def staff_error(exc: HTTPException) -> tuple[str, int]:
    """Explain a refused sign-in request in plain words, on the staff layout."""
    return render_template("accounts/error.html", code=exc.code), exc.code or 500
