"""The store's name, time zone and public address: set by the admin in the browser (the
store settings row), else by configuration (STORE_NAME, STORE_TIMEZONE, PUBLIC_URL).

Read once per request (kept in the request's environ), so a page asks the database once;
outside a request (jobs, the command line) each call reads the one small row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, request
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.store.models import StoreSettings

KEY = "returns_portal.store_identity"


@dataclass(frozen=True)
class Identity:
    name: str
    timezone: str
    public_url: str


def identity() -> Identity:
    """The store's name, time zone and public URL as the portal uses them now."""
    cache = request.environ if has_request_context() else {}
    cached: Identity | None = cache.get(KEY)
    if cached is not None:
        return cached
    config = current_app.config
    row = db.session.execute(
        select(StoreSettings.name, StoreSettings.timezone, StoreSettings.public_url).limit(1)
    ).first()
    name, zone, url = row if row is not None else (None, None, None)
    found = Identity(
        name=name or str(config["STORE_NAME"]),
        timezone=zone or str(config["STORE_TIMEZONE"]),
        public_url=(url or str(config["PUBLIC_URL"])).rstrip("/"),
    )
    cache[KEY] = found
    return found


def forget() -> None:
    """Drop what this request read (after the admin saved new settings)."""
    if has_request_context():
        request.environ.pop(KEY, None)


def store_name() -> str:
    return identity().name


def store_timezone() -> str:
    return identity().timezone


def public_url() -> str:
    return identity().public_url
