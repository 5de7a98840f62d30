"""E-mails to customers about their returns."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from returns_portal.notifications.mailer import mailer
from returns_portal.refunds.credit import lookup
from returns_portal.returns.models import Return
from returns_portal.returns.services.links import signed_link_token

if TYPE_CHECKING:
    from returns_portal.refunds.models import Refund

log = logging.getLogger(__name__)


def send_return_confirmation(rma: Return) -> bool:
    """E-mail the customer their return's number, next steps and tracking link.

    A mail failure is logged and reported, never undoes the return (it is already saved).
    """
    # Sent after commit, in a request or by a worker: links use the portal's public address.
    base = current_app.config["PUBLIC_URL"]
    with current_app.test_request_context(base_url=base), force_locale(rma.locale or "en"):
        link = url_for("returns.track", number=rma.number, t=signed_link_token(rma), _external=True)
        message = EmailMessage()
        message["Subject"] = _("Your return %(number)s", number=rma.number)
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = rma.order.email
        message["Message-ID"] = make_msgid(domain="returns.invalid")
        message.set_content(render_template("returns/email/confirmation.txt", rma=rma, link=link))
    try:
        mailer().send(message)
    except Exception:  # the mail server is down: the return stands, the mail is retried later
        log.exception("could not send the confirmation for return %s", rma.number)
        return False
    return True


def send_refund_paid(rma: Return, refund: Refund) -> bool:
    """E-mail the customer that money moved: refunded to the card, issued as store credit
    (with its code), or the exchange difference charged."""
    code = lookup(refund.provider_refund_id or "") if refund.method == "store_credit" else None
    return _send_refund_mail(
        rma,
        _l("Your refund for return %(number)s", number=rma.number),
        "returns/email/refund_paid.txt",
        refund=refund,
        code=code,
    )


def send_refund_denied(rma: Return, refund: Refund, reason: str) -> bool:
    """E-mail the customer that a refund was refused, and why."""
    return _send_refund_mail(
        rma,
        _l("About the refund for return %(number)s", number=rma.number),
        "returns/email/refund_denied.txt",
        refund=refund,
        reason=reason,
    )


def _send_refund_mail(rma: Return, subject: Any, template: str, **context: Any) -> bool:
    # Refunds are often settled outside a web request (workers, reconcile, webhooks): links
    # are built against the portal's public address.
    base = current_app.config["PUBLIC_URL"]
    with current_app.test_request_context(base_url=base), force_locale(rma.locale or "en"):
        link = url_for("returns.track", number=rma.number, t=signed_link_token(rma), _external=True)
        message = EmailMessage()
        message["Subject"] = str(subject)
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = rma.order.email
        message["Message-ID"] = make_msgid(domain="returns.invalid")
        message.set_content(render_template(template, rma=rma, link=link, **context))
    try:
        mailer().send(message)
    except Exception:  # the refund stands; the mail is logged for a retry
        log.exception("could not send the refund mail for return %s", rma.number)
        return False
    return True
