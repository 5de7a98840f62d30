"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from returns_portal.accounts.models import LoginThrottle, Role, User
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.types import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5  # failures in a row at one email from one address lock that address …
LOCKOUT = timedelta(minutes=15)  # … out of it for this long
ALARM_ADDRESSES = 10  # this many addresses failing at one email within …
ALARM_WINDOW = timedelta(hours=1)  # … this long make one failure lock (see _lock_threshold)
FORGET_FAILURES = timedelta(days=1)  # failures older than this no longer count and are deleted
PASSWORD_METHOD = "scrypt"  # werkzeug's default, named so an upgrade cannot weaken it silently


class AccountError(Exception):
    """A staff account change that cannot be made; the message is translated where it is read
    (English on the command line)."""


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


def check_password(password: str) -> None:
    """Raise AccountError unless `password` is one a staff user may have."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("A password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )


def _hash(password: str) -> str:
    check_password(password)
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
        raise AccountError(_l("No staff user with email %(email)s.", email=normalise_email(email)))
    return user


def check_role(role: Role | str) -> Role:
    """Return `role` as a Role, or raise AccountError naming the roles there are."""
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(
            _l(
                "Unknown role %(role)s: choose one of %(choices)s.",
                role=repr(role),
                choices=choices,
            )
        ) from None


def check_email(email: str) -> str:
    """Return the email as it is stored, or raise AccountError if it is not an email address."""
    email = normalise_email(email)
    local, _at, domain = email.partition("@")
    if not local or not domain or len(email) > 320 or any(c.isspace() for c in email):
        raise AccountError(_l("%(email)s is not an email address.", email=repr(email)))
    return email


def create_user(
    email: str, password: str, role: Role | str, name: str = "", actor: str = "cli"
) -> User:
    """Create an active staff user with a hashed password and one role."""
    email = check_email(email)
    checked_role = check_role(role)
    name = name.strip()
    if len(name) > 200:
        raise AccountError(_l("A name can have at most %(num)d characters.", num=200))
    if find_user(email) is not None:
        raise AccountError(_l("A staff user with email %(email)s already exists.", email=email))
    user = User(
        email=email,
        name=name,
        password_hash=_hash(password),
        role=checked_role.value,
        active=True,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # created by someone else since we looked
        db.session.rollback()
        raise AccountError(
            _l("A staff user with email %(email)s already exists.", email=email)
        ) from None
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


def user_by_id(user_id: int) -> User:
    """Return the staff user with this id, or raise AccountError."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(_l("No staff user with id %(id)d.", id=user_id))
    return user


def _keep_an_admin(user: User) -> None:
    """Refuse to take the last active admin away: nobody could then manage staff in the browser.

    Every active admin's row is locked (in id order) until the commit, so two admins demoting
    each other at the same moment cannot both succeed: the second sees the first's change.
    """
    if user.role != Role.ADMIN or not user.active:
        return
    admins = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not [admin for admin in admins if admin != user.id]:
        raise AccountError(
            _l(
                "%(email)s is the last active admin: make another staff user an admin first.",
                email=user.email,
            )
        )


def change_role(email: str, role: Role | str, actor: str = "cli") -> User:
    """Give the staff user another role; the last active admin keeps theirs."""
    user = get_user(email)
    checked = check_role(role)
    if user.role == checked.value:
        raise AccountError(_l("%(email)s already has that role.", email=user.email))
    if checked != Role.ADMIN:
        _keep_an_admin(user)
    before = user.role
    user.role = checked.value
    record_event(
        actor,
        "user.role_changed",
        "user",
        user.id,
        before={"role": before},
        after={"role": user.role},
    )
    db.session.commit()
    return user


def reactivate_user(email: str, actor: str = "cli") -> User:
    """Let a deactivated staff user sign in again, with the role and password they had."""
    user = get_user(email)
    if user.active:
        raise AccountError(_l("%(email)s is already active.", email=user.email))
    user.active = True
    record_event(actor, "user.reactivated", "user", user.id, before={"active": False})
    db.session.commit()
    return user


def deactivate_user(email: str, actor: str = "cli") -> User:
    """Stop the staff user from signing in; their open sessions end on their next request.

    The last active admin can't be deactivated.
    """
    user = get_user(email)
    if not user.active:
        raise AccountError(_l("%(email)s is already deactivated.", email=user.email))
    _keep_an_admin(user)
    user.active = False
    record_event(actor, "user.deactivated", "user", user.id, before={"active": True})
    db.session.commit()
    return user


def unlock_user(email: str, actor: str = "cli", now: datetime | None = None) -> User:
    """Lift the user's lockouts at every address and forget their failed sign-ins."""
    now = now or utcnow()
    user = get_user(email)
    rows = list(
        db.session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.email_key == _email_key(user.email))
            .order_by(LoginThrottle.address)
        )
    )
    counted = [r for r in rows if r.failures and r.last_failed_at >= now - FORGET_FAILURES]
    if not counted:
        raise AccountError(_l("%(email)s is not locked.", email=user.email))
    before = {
        "failed_logins": sum(r.failures for r in counted),
        "locked_at": [r.address for r in counted if r.locked_until and r.locked_until > now],
    }
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.email_key == _email_key(user.email))
    )
    record_event(actor, "user.unlocked", "user", user.id, before=before)
    db.session.commit()
    return user


def active_locks(email: str, now: datetime | None = None) -> list[LoginThrottle]:
    """Return the lockouts at this email (any case) that hold now, by address."""
    now = now or utcnow()
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.email_key == _email_key(email), LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.address)
    )
    return list(db.session.scalars(query))


def list_users() -> list[User]:
    """Return every staff user, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def locks_by_user(users: list[User], now: datetime | None = None) -> dict[int, list[LoginThrottle]]:
    """Return the lockouts that hold now for each of `users` (by user id), in one query."""
    now = now or utcnow()
    keys = {_email_key(user.email): user.id for user in users}
    found: dict[int, list[LoginThrottle]] = {user.id: [] for user in users}
    if not keys:
        return found
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.email_key.in_(keys), LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.address)
    )
    for lock in db.session.scalars(query):
        found[keys[lock.email_key]].append(lock)
    return found


def authenticate(
    email: str,
    password: str,
    now: datetime | None = None,
    actor: str = "anonymous",
    address: str = "",
) -> User:
    """Return the active user whose password matches, or raise LoginFailed / AccountLocked.

    `address` is the client's ("" where there is none, as on the command line). Every attempt
    is audited (never the password). MAX_FAILED_LOGINS refusals in a row at one email from one
    address lock that address out of the email for LOCKOUT, whether the email has an account
    or not: the answers never tell which emails are staff accounts, and failures elsewhere
    never lock the owner out where they are. A success starts that address's count again.
    """
    now = now or utcnow()
    key, network = _email_key(email), client_network(address)
    user = find_user(email)
    # The same scrypt work whether the email has an account and whether it is locked: the
    # time an answer takes tells nothing either.
    matches = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    entity: object = user.id if user is not None else "-"
    typed: dict[str, Any] = {} if user is not None else {"email": _shown_email(email)}

    locked_until = db.session.scalar(select(LoginThrottle.locked_until).where(*_at(key, network)))
    if locked_until is not None and locked_until > now:
        record_event(
            actor, "user.login_failed", "user", entity, after={**typed, "reason": "locked"}
        )
        db.session.commit()
        raise AccountLocked(locked_until)

    if user is not None and user.active and matches:
        db.session.execute(delete(LoginThrottle).where(*_at(key, network)))
        record_event(
            _actor_for(user), "user.login_succeeded", "user", user.id, after={"from": actor}
        )
        db.session.commit()
        return user

    failures = _count_failure(key, network, now)
    reason = "unknown" if user is None else "inactive" if not user.active else "wrong_password"
    after = {**typed, "reason": reason}
    if reason == "wrong_password":
        after["failed_logins"] = failures
    record_event(actor, "user.login_failed", "user", entity, after=after)
    threshold, addresses = _lock_threshold(key, failures, now)
    if failures < threshold:
        db.session.commit()
        raise LoginFailed()
    until = now + LOCKOUT
    db.session.execute(update(LoginThrottle).where(*_at(key, network)).values(locked_until=until))
    locked = {**typed, "failed_logins": failures, "until": until.isoformat()}
    if threshold < MAX_FAILED_LOGINS:
        locked["failing_addresses"] = addresses
    record_event(actor, "user.locked", "user", entity, after=locked)
    db.session.commit()
    raise AccountLocked(until)


def client_network(address: str) -> str:
    """Return the client address as sign-ins are throttled by it.

    An IPv6 client counts by the /64 it is in: one host usually holds a whole /64 and could
    otherwise take a fresh address for every guess.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def _email_key(email: str) -> str:
    """Return the digest sign-ins at this email (any case) are counted under.

    Keyed with the app's secret, so an email box that held a password cannot be read back
    from it by guessing; a new SECRET_KEY only forgets counts that last minutes anyway.
    """
    secret = current_app.config["SECRET_KEY"]
    secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
    message = b"login-throttle:" + normalise_email(email).encode()
    return hmac.new(secret_bytes, message, hashlib.sha256).hexdigest()


def _shown_email(email: str) -> str:
    """Return the email to audit for an attempt at no account: only something shaped like an
    email is kept, as people do type passwords in there."""
    attempted = normalise_email(email)
    return attempted[:200] if "@" in attempted else "(not an email)"


def _at(key: str, network: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return LoginThrottle.email_key == key, LoginThrottle.address == network


def _count_failure(key: str, network: str, now: datetime) -> int:
    """Count one more failure at this email from this address; return how many in a row."""
    forgotten = now - FORGET_FAILURES
    # Delete old failures as we go, a few rows per attempt, so the table holds about a day of
    # failures whatever is typed into the form.
    old = select(LoginThrottle.id).where(LoginThrottle.last_failed_at < forgotten).limit(100)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.id.in_(old)))
    # A lock that has run out, or failures forgotten, leave a fresh start.
    db.session.execute(
        update(LoginThrottle)
        .where(
            *_at(key, network),
            or_(LoginThrottle.locked_until <= now, LoginThrottle.last_failed_at < forgotten),
        )
        .values(failures=0, locked_until=None)
    )
    # Counted in SQL so that concurrent attempts cannot lose a failure.
    increment = (
        update(LoginThrottle)
        .where(*_at(key, network))
        .values(failures=LoginThrottle.failures + 1, last_failed_at=now)
        .returning(LoginThrottle.failures)
    )
    failures = db.session.scalar(increment)
    if failures is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    LoginThrottle(email_key=key, address=network, failures=1, last_failed_at=now)
                )
            failures = 1
        except IntegrityError:  # a concurrent attempt made the row since we looked
            failures = db.session.scalar(increment)
    return failures or 1


def _lock_threshold(key: str, failures: int, now: datetime) -> tuple[int, int]:
    """Return how many failures in a row lock an address out of this email now, and how many
    addresses have failed at it within ALARM_WINDOW (when that was counted).

    The safety net for guessing spread over many addresses: each one gets MAX_FAILED_LOGINS
    tries per LOCKOUT, so a thousand of them would get thousands. Once ALARM_ADDRESSES
    addresses have failed at one email within ALARM_WINDOW, a single failure locks an address.
    It is a backoff for the guessers, not a lock on the account: it never refuses the right
    password at an address that has not failed itself, so strangers still cannot lock the
    owner out (under such an attack the owner's own typo costs them LOCKOUT at their address,
    or an admin's unlock). Counted by email, not user, so an email without an account is
    treated the same.
    """
    if failures >= MAX_FAILED_LOGINS:
        return MAX_FAILED_LOGINS, 0
    addresses = (
        db.session.scalar(
            select(func.count())
            .select_from(LoginThrottle)
            .where(
                LoginThrottle.email_key == key,
                LoginThrottle.last_failed_at >= now - ALARM_WINDOW,
            )
        )
        or 0
    )
    return (1 if addresses >= ALARM_ADDRESSES else MAX_FAILED_LOGINS), addresses
