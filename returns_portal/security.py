"""Security headers for every response: the one place CSP and friends are set."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Staff pages (sign-in, warehouse, finance) and the customer's order and return pages show
# personal data and money: no browser or shared cache may keep a copy, e.g. for the back
# button of a shared computer after sign-out or a proxy between the shop and the customer.
# https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5
NO_STORE_BLUEPRINTS = frozenset({"accounts", "receiving", "refunds", "returns"})


def instance_secret_key(path: Path) -> str:
    """Return the key kept in `path`, first writing a random one there (owner-only, 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            # A hard link never replaces a file: two processes starting at once keep one key.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key: delete it to make a new one.")
    return key


def init_app(app: Flask) -> None:
    """Add the security headers to every response; trust a proxy's headers only if told to.

    With PROXY_FIX_X_FOR=n the client address (for rate limits and the audit log) is read from
    the n-th X-Forwarded-For entry from the right, as the proxies in front of the app set it.
    """
    x_for = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    x_proto = int(app.config.get("PROXY_FIX_X_PROTO") or 0)
    if x_for or x_proto:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)  # type: ignore[method-assign]

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.blueprint in NO_STORE_BLUEPRINTS:
            response.headers["Cache-Control"] = "private, no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response
