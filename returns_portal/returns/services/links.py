"""Links that open a return's page without a session: signed, and old ones stop working."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote, urlsplit

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from returns_portal.returns.models import Return
from returns_portal.store.identity import public_url

# A link in the owner's mail may manage the return (cancel it); the QR code printed on the
# label and slip travels with the parcel, so whoever holds the parcel may only look.
SALTS = {"manage": "return-link", "view": "return-view-link"}
# The return page's path, /returns/<number>, at the end of whatever prefix the portal has.
_RETURN_PATH = re.compile(r".*/returns/(?P<number>R-[0-9A-Z]{4}-[0-9A-Z]{2})/?", re.IGNORECASE)


class _SignedAt(TimestampSigner):
    """A timestamp signer that dates its signatures at a given moment instead of now."""

    def __init__(self, secret_key: str | bytes, salt: str, at: datetime) -> None:
        super().__init__(secret_key, salt=salt)
        self.at = int(at.timestamp())

    def get_timestamp(self) -> int:
        return self.at


def signed_link_token(
    rma: Return, issued_at: datetime | None = None, purpose: str = "manage"
) -> str:
    """Return a token that opens this return's tracking page without a session; "manage"
    (the mails) may also cancel it, "view" (printed documents) may only look.

    The token lasts RETURN_LINK_DAYS from `issued_at` (default: now). A printed document
    dates its token when its label was issued, so the same label always renders the same.
    """
    key, salt = current_app.config["SECRET_KEY"], SALTS[purpose]
    serializer = URLSafeTimedSerializer(key, salt=salt)
    if issued_at is None:
        return serializer.dumps(rma.number)
    signed = _SignedAt(key, salt, issued_at).sign(serializer.dump_payload(rma.number))
    return signed.decode("ascii")


def return_from_link_token(token: str, purpose: str = "manage") -> str | None:
    """Return the RMA number a link token for `purpose` names, or None if it is forged, too
    old, or for another purpose."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALTS[purpose])
    max_age = int(current_app.config.get("RETURN_LINK_DAYS", 120)) * 86400
    try:
        return str(serializer.loads(token, max_age=max_age))
    except BadSignature:
        return None


def return_page_url(rma: Return, issued_at: datetime | None = None) -> str:
    """Return the address of the return's page at PUBLIC_URL, with a signed link token.

    This is what the customer's QR code holds: a phone camera opens it as a link. It only
    shows the return: the code is printed on the parcel, and anyone may hold the parcel.
    """
    public = urlsplit(public_url())
    # Built from the URL map, not url_for: documents are also rendered outside a request, and
    # inside one the request's own host is not necessarily the public address.
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme or "https"
    )
    values = {"number": rma.number, "t": signed_link_token(rma, issued_at, purpose="view")}
    return adapter.build("returns.track", values, force_external=True)


def return_number_in_url(code: str) -> str | None:
    """Return the RMA number that a scanned return-page address names, or None.

    The customer's QR code holds the return page's address (`return_page_url`); a scanner
    reads it as text. Any host is accepted (PUBLIC_URL may have changed since the label was
    printed); the link token is not needed to name the return and is not checked.
    """
    parts = urlsplit(code.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    match = _RETURN_PATH.fullmatch(unquote(parts.path))
    return match.group("number").upper() if match else None
