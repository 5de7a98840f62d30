"""Who is signed in and what their role may open: checked on the server for every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from returns_portal.accounts.models import Role, User
from returns_portal.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

# Flashed when a page sends a visitor to sign in (LoginManager.login_message).
LOGIN_MESSAGE = _l("Please sign in to open that page.")

ROLE_LABELS = {
    Role.SUPPORT: _l("Support"),
    Role.WAREHOUSE: _l("Warehouse"),
    Role.FINANCE: _l("Finance"),
    Role.ADMIN: _l("Admin"),
}


def role_label(role: str) -> str:
    """Name a role in the reader's language."""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def load_user(user_id: str) -> User | None:
    """Load the signed-in user for this request; a deactivated user is signed out at once."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def has_role(user: Any, *roles: Role) -> bool:
    """Tell whether `user` may open a page for `roles`; admin may open every page."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == Role.ADMIN or user.role in {Role(r) for r in roles}


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let the view run only for a signed-in staff user with one of `roles` (or admin).

    Anonymous visitors go to the sign-in page and come back; a signed-in user without the
    role gets a 403 page in plain words.
    """
    if not roles:
        raise TypeError("role_required needs at least one role, e.g. role_required(*Role)")
    wanted = tuple(Role(role) for role in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                # Flashes the login message and redirects with ?next=<this page>.
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not has_role(current_user, *wanted):
                labels = [role_label(role) for role in dict.fromkeys((*wanted, Role.ADMIN))]
                return render_template("accounts/forbidden.html", roles=labels), 403
            return view(*args, **kwargs)

        # Read by the access-matrix test: every staff route declares who may open it.
        wrapper.required_roles = wanted  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate


class Actor(str):
    """Who acts, as audit events name them ("user:3 warehouse@example.com"), with the staff
    user's id so that rules about people (who may approve) never parse the name."""

    user_id: int | None

    def __new__(cls, name: str, user_id: int | None = None) -> Actor:
        actor = super().__new__(cls, name[:200])
        actor.user_id = user_id
        return actor

    @classmethod
    def of(cls, user: Any) -> Actor:
        return cls(f"user:{user.id} {user.email}", int(user.id))


def current_actor() -> Actor:
    """Name who is acting, for audit events: "user:3 warehouse@example.com", or where from."""
    if not has_request_context():
        return Actor("cli")
    if current_user.is_authenticated:
        return Actor.of(current_user)
    return Actor(f"anonymous {request.remote_addr or ''}".strip())


def safe_next_url(target: str | None) -> str | None:
    """Return `target` if it is a path on this site (to redirect to after sign-in), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash and drop tabs and newlines: "/\\evil.example" or
    # "/\t/evil.example" would leave the site.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
