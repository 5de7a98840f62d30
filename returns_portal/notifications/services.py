"""E-mails to customers about their returns."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from returns_portal.notifications.mailer import mailer
from returns_portal.returns.models import Return

log = logging.getLogger(__name__)


def send_return_confirmation(rma: Return) -> bool:
    """E-mail the customer their return's number, next steps and tracking link.

    A mail failure is logged and reported, never undoes the return (it is already saved).
    """
    from returns_portal.returns.services import signed_link_token

    with force_locale(rma.locale or "en"):
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


def send_refund_paid(rma: Return, amount: int, currency: str, store_credit: bool) -> bool:
    """E-mail the customer that their refund is paid (or issued as store credit)."""
    from returns_portal.returns.services import signed_link_token

    # Paid refunds are often settled outside a web request (reconcile, webhooks): links are
    # built against the portal's public address.
    base = current_app.config["PUBLIC_URL"]
    with current_app.test_request_context(base_url=base), force_locale(rma.locale or "en"):
        link = url_for("returns.track", number=rma.number, t=signed_link_token(rma), _external=True)
        message = EmailMessage()
        message["Subject"] = _("Your refund for return %(number)s", number=rma.number)
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = rma.order.email
        message["Message-ID"] = make_msgid(domain="returns.invalid")
        body = render_template(
            "returns/email/refund_paid.txt",
            rma=rma,
            amount=amount,
            currency=currency,
            store_credit=store_credit,
            link=link,
        )
        message.set_content(body)
    try:
        mailer().send(message)
    except Exception:  # the refund stands; the mail is logged for a retry
        log.exception("could not send the refund mail for return %s", rma.number)
        return False
    return True
