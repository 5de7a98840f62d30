"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from returns_portal.accounts.models import ApiToken, Role, User
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.types import utcnow

TOKEN_PREFIX = "rp_"
MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5  # consecutive failures that lock the account …
LOCKOUT = timedelta(minutes=15)  # … for this long
PASSWORD_METHOD = "scrypt"  # werkzeug's default, named so an upgrade cannot weaken it silently


class TokenError(Exception):
    """An API token operation that cannot be done."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(name: str, actor: str = "cli") -> tuple[str, ApiToken]:
    """Create a bearer token; return the secret (shown once) and its stored record."""
    name = name.strip()
    if not name:
        raise TokenError("A token needs a name, e.g. the shop that will use it.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=raw[:10], token_hash=_digest(raw))
    db.session.add(token)
    db.session.flush()
    record_event(actor, "api_token.created", "api_token", token.id, after={"name": name})
    db.session.commit()
    return raw, token


def revoke_api_token(token_id: int, actor: str = "cli") -> ApiToken:
    """Revoke a token so it no longer authenticates."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"No API token with id {token_id}.")
    if token.revoked_at is not None:
        raise TokenError(f"API token {token_id} is already revoked.")
    token.revoked_at = utcnow()
    record_event(actor, "api_token.revoked", "api_token", token.id)
    db.session.commit()
    return token


def authenticate_token(raw: str) -> ApiToken | None:
    """Return the live token matching `raw`, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def list_api_tokens() -> list[ApiToken]:
    """Return every token, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def touch_token(token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute to spare the database."""
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()


# Staff users


class AccountError(Exception):
    """A staff account change that cannot be made."""


class LoginFailed(Exception):
    """A sign-in refused; the message is the same for every cause so it reveals nothing."""

    def __init__(self) -> None:
        super().__init__("Wrong email or password.")


class AccountLocked(LoginFailed):
    """A sign-in refused because too many failures locked the account until `until`."""

    def __init__(self, until: datetime) -> None:
        Exception.__init__(self, f"Account locked until {until.isoformat()}.")
        self.until = until


def normalise_email(email: str) -> str:
    """Return the email as it is stored: trimmed and lower-cased."""
    return email.strip().lower()


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return generate_password_hash(password, method=PASSWORD_METHOD)


@cache
def _decoy_hash() -> str:
    """A hash to check unknown emails against, so they cost the same time as known ones."""
    return generate_password_hash(secrets.token_urlsafe(16), method=PASSWORD_METHOD)


def _actor_for(user: User) -> str:
    return f"user:{user.id} {user.email}"


def find_user(email: str) -> User | None:
    """Return the staff user with this email (any case), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(email: str) -> User:
    """Return the staff user with this email, or raise AccountError."""
    user = find_user(email)
    if user is None:
        raise AccountError(f"No staff user with email {normalise_email(email)}.")
    return user


def check_role(role: Role | str) -> Role:
    """Return `role` as a Role, or raise AccountError naming the roles there are."""
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role {role!r}: choose one of {choices}.") from None


def create_user(
    email: str, password: str, role: Role | str, name: str = "", actor: str = "cli"
) -> User:
    """Create an active staff user with a hashed password and one role."""
    email = normalise_email(email)
    local, _at, domain = email.partition("@")
    if not local or not domain or len(email) > 320 or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an email address.")
    checked_role = check_role(role)
    name = name.strip()
    if len(name) > 200:
        raise AccountError("A name can have at most 200 characters.")
    if find_user(email) is not None:
        raise AccountError(f"A staff user with email {email} already exists.")
    user = User(
        email=email,
        name=name,
        password_hash=_hash(password),
        role=checked_role.value,
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # created by someone else since we looked
        db.session.rollback()
        raise AccountError(f"A staff user with email {email} already exists.") from None
    record_event(
        actor,
        "user.created",
        "user",
        user.id,
        after={"email": email, "role": user.role, "name": name},
    )
    db.session.commit()
    return user


def set_password(email: str, password: str, actor: str = "cli") -> User:
    """Give the staff user a new password."""
    user = get_user(email)
    user.password_hash = _hash(password)
    record_event(actor, "user.password_set", "user", user.id)
    db.session.commit()
    return user


def deactivate_user(email: str, actor: str = "cli") -> User:
    """Stop the staff user from signing in; their open sessions end on their next request."""
    user = get_user(email)
    if not user.active:
        raise AccountError(f"{user.email} is already deactivated.")
    user.active = False
    record_event(actor, "user.deactivated", "user", user.id, before={"active": True})
    db.session.commit()
    return user


def unlock_user(email: str, actor: str = "cli", now: datetime | None = None) -> User:
    """Lift a lockout and forget the failed sign-ins."""
    now = now or utcnow()
    user = get_user(email)
    locked = user.locked_until is not None and user.locked_until > now
    if not locked and not user.failed_logins:
        raise AccountError(f"{user.email} is not locked.")
    before = {
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }
    user.failed_logins = 0
    user.locked_until = None
    record_event(actor, "user.unlocked", "user", user.id, before=before)
    db.session.commit()
    return user


def list_users() -> list[User]:
    """Return every staff user, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def authenticate(
    email: str, password: str, now: datetime | None = None, actor: str = "anonymous"
) -> User:
    """Return the active user whose password matches, or raise LoginFailed / AccountLocked.

    Every attempt is audited (never the password). MAX_FAILED_LOGINS failures in a row lock
    the account for LOCKOUT; a success resets the count.
    """
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        # The same scrypt work as for a real account: timing does not tell who has one.
        check_password_hash(_decoy_hash(), password)
        attempted = normalise_email(email)
        # Only something shaped like an email is kept: people do type passwords in there.
        shown = attempted[:200] if "@" in attempted else "(not an email)"
        record_event(
            actor, "user.login_failed", "user", "-", after={"email": shown, "reason": "unknown"}
        )
        db.session.commit()
        raise LoginFailed()

    matches = check_password_hash(user.password_hash, password)
    if user.locked_until is not None:
        if user.locked_until > now:
            record_event(actor, "user.login_failed", "user", user.id, after={"reason": "locked"})
            db.session.commit()
            raise AccountLocked(user.locked_until)
        user.locked_until = None  # the lock ran out: a fresh start
        user.failed_logins = 0
    if not user.active:
        record_event(actor, "user.login_failed", "user", user.id, after={"reason": "inactive"})
        db.session.commit()
        raise LoginFailed()
    if not matches:
        # Counted in SQL so that concurrent attempts cannot lose a failure.
        db.session.flush()
        failures = db.session.scalar(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
            .returning(User.failed_logins)
        )
        db.session.refresh(user)
        record_event(
            actor,
            "user.login_failed",
            "user",
            user.id,
            after={"reason": "wrong_password", "failed_logins": failures},
        )
        if failures is not None and failures >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            record_event(
                actor,
                "user.locked",
                "user",
                user.id,
                after={"failed_logins": failures, "until": user.locked_until.isoformat()},
            )
            db.session.commit()
            raise AccountLocked(user.locked_until)
        db.session.commit()
        raise LoginFailed()

    user.failed_logins = 0
    user.locked_until = None
    record_event(_actor_for(user), "user.login_succeeded", "user", user.id, after={"from": actor})
    db.session.commit()
    return user
