"""Security headers for every response: the one place CSP and friends are set."""

from __future__ import annotations

from flask import Flask, Response, request

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


def init_app(app: Flask) -> None:
    """Add the security headers to every response the app sends."""

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
