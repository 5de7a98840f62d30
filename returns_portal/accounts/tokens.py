"""API tokens for the shop: made once, shown once, stored only as a digest, revocable."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from returns_portal.accounts.models import ApiToken
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.types import utcnow

TOKEN_PREFIX = "rp_"
MAX_NAME_LENGTH = 100  # ApiToken.name


class TokenError(Exception):
    """An API token operation that cannot be done; the message is translated where it is read."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(name: str, actor: str = "cli") -> tuple[str, ApiToken]:
    """Create a bearer token; return the secret (shown once) and its stored record."""
    name = name.strip()
    if not name:
        raise TokenError(_l("A token needs a name, e.g. the shop that will use it."))
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(
            _l("A token name can have at most %(num)d characters.", num=MAX_NAME_LENGTH)
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=raw[:10], token_hash=_digest(raw))
    db.session.add(token)
    db.session.flush()
    record_event(actor, "api_token.created", "api_token", token.id, after={"name": name})
    db.session.commit()
    return raw, token


def revoke_api_token(token_id: int, actor: str = "cli") -> ApiToken:
    """Revoke a token so it no longer authenticates; a token is revoked once."""
    # Locked until the commit: of two admins revoking at once, the second is told it is done.
    token = db.session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise TokenError(_l("No API token with id %(id)d.", id=token_id))
    if token.revoked_at is not None:
        raise TokenError(_l("API token %(id)d is already revoked.", id=token_id))
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


def get_api_token(token_id: int) -> ApiToken | None:
    """Return the token with this id (live or revoked), or None."""
    return db.session.get(ApiToken, token_id)


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
