"""Links that open a return's page without a session: signed, and old ones stop working."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from returns_portal.returns.models import Return


def signed_link_token(rma: Return) -> str:
    """Return a token that opens this return's tracking page without a session."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="return-link")
    return serializer.dumps(rma.number)


def return_from_link_token(token: str) -> str | None:
    """Return the RMA number a link token names, or None if it is forged or too old."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="return-link")
    max_age = int(current_app.config.get("RETURN_LINK_DAYS", 120)) * 86400
    try:
        return str(serializer.loads(token, max_age=max_age))
    except BadSignature:
        return None
