"""E-mails to customers about their returns.

Every mail tells the same three facts as the return page (its row of the state table:
status, next step, money) with the items and a link to the page; only the first line,
and what is attached, depend on what just happened.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from returns_portal.extensions import db
from returns_portal.notifications.channels import ChannelError, Notice, extra_channels
from returns_portal.notifications.mailer import mailer
from returns_portal.notifications.models import CustomerMail
from returns_portal.refunds.credit import lookup
from returns_portal.returns.documents import render_return_document
from returns_portal.returns.models import Return
from returns_portal.returns.services.links import signed_link_token
from returns_portal.returns.states import CustomerState, Row, customer_state
from returns_portal.shipping.services import live_shipment
from returns_portal.store.identity import public_url

if TYPE_CHECKING:
    from returns_portal.refunds.models import Refund

log = logging.getLogger(__name__)

# What just happened, for each mail: its subject, in the customer's language.
SUBJECTS = {
    "opened": _l("Your return %(number)s"),
    "accepted": _l("Your return %(number)s is accepted"),
    "in_transit": _l("Your return %(number)s is on its way to us"),
    "delivered": _l("Your return %(number)s has been delivered to us"),
    "received": _l("We have received your return %(number)s"),
    "inspected": _l("We have checked your return %(number)s"),
    "rejected": _l("Your return %(number)s was not accepted"),
    "cancelled": _l("Your return %(number)s is cancelled"),
    "expired": _l("Your return %(number)s has expired"),
    "settled": _l("Your exchange %(number)s is settled"),
    "refund_paid": _l("Your refund for return %(number)s"),
    "credit_issued": _l("Your store credit for return %(number)s"),
    "charged": _l("The difference for your exchange %(number)s"),
    "refund_denied": _l("About the refund for return %(number)s"),
    "replacement_shipped": _l("Your new item for return %(number)s is on its way"),
    "overdue": _l("Your refund for return %(number)s is late"),
    "resent": _l("Your return %(number)s: your label and details again"),
    "extended": _l("More time to send your return %(number)s"),
    "returnless": _l("Keep the items of your return %(number)s"),
    "reminder": _l("Reminder: please send your return %(number)s"),
    "tracking_exception": _l("A problem with the parcel of your return %(number)s"),
}


# The mails that carry the label and slip (or the QR code) while the return waits to be sent.
WITH_DOCUMENTS = frozenset({"opened", "accepted", "resent", "reminder"})


def notice_for(rma: Return, kind: str, **context: Any) -> Notice:
    """Word what just happened (`kind`, a key of SUBJECTS) and where the return stands now,
    in the customer's language: the same words for every channel."""
    return _compose(rma, kind, **context)[0]


def _compose(rma: Return, kind: str, **context: Any) -> tuple[Notice, CustomerState]:
    # Sent after commit, in a request or by a worker: links use the portal's public address.
    with current_app.test_request_context(base_url=public_url()), force_locale(rma.locale or "en"):
        state: CustomerState = customer_state(rma)
        link = url_for("returns.track", number=rma.number, t=signed_link_token(rma), _external=True)
        text = render_template(
            "returns/email/update.txt", rma=rma, kind=kind, state=state, link=link, **context
        )
        subject = str(SUBJECTS[kind]) % {"number": rma.number}
    phone = str((rma.order.shipping_address or {}).get("phone") or "")
    notice = Notice(rma.number, kind, rma.locale or "en", rma.order.email, phone, subject, text,
                    link)  # fmt: skip
    return notice, state


def send_update(rma: Return, kind: str, channel: str = "email", **context: Any) -> bool:
    """Tell the customer what just happened (`kind`, a key of SUBJECTS) and where their
    return stands now, by e-mail or the named channel. A failure is logged and reported
    (the outbox tries again); it never undoes the change."""
    if channel != "email":
        return _send_by(channel, notice_for(rma, kind, **context))
    notice, state = _compose(rma, kind, **context)
    # The documents are drawn in the customer's language, with links at the public address.
    with current_app.test_request_context(base_url=public_url()), force_locale(rma.locale or "en"):
        message = EmailMessage()
        message["Subject"] = notice.subject
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = rma.order.email
        message["Message-ID"] = make_msgid(domain="returns.invalid")
        message.set_content(notice.text)
        ready = state.row in (Row.AWAITING_SHIPMENT, Row.LABEL_EXPIRING)  # not while reviewed
        if kind in WITH_DOCUMENTS and ready and live_shipment(rma) is not None:
            _attach_documents(message, rma)
    try:
        mailer().send(message)
    except Exception:  # the mail server is down: the change stands, the mail is retried later
        log.exception("could not send the %s mail for return %s", kind, rma.number)
        return False
    _keep(rma, kind, message)
    return True


def _send_by(code: str, notice: Notice) -> bool:
    channel = extra_channels().get(code)
    if channel is None:  # the channel was removed from the configuration: nothing to do
        log.warning("no notification channel %r: the %s notice is dropped", code, notice.kind)
        return True
    try:
        channel.send(notice)
    except ChannelError:
        log.exception("could not send the %s notice for return %s by %s", notice.kind,
                      notice.return_number, code)  # fmt: skip
        return False
    return True


def _keep(rma: Return, kind: str, message: EmailMessage) -> None:
    """Keep what the mail said for the staff desk (committed: the mail is gone already)."""
    text = message.get_body(preferencelist=("plain",))
    names = [str(part.get_filename()) for part in message.iter_attachments()]
    db.session.add(
        CustomerMail(
            return_id=rma.id,
            kind=kind,
            recipient=str(message["To"]),
            subject=str(message["Subject"])[:300],
            body=str(text.get_content()) if text is not None else "",
            attachments=", ".join(names)[:300],
        )
    )
    db.session.commit()


def _attach_documents(message: EmailMessage, rma: Return) -> None:
    """The label (or the drop-off QR code) and, for a label, the packing slip."""
    kinds = ["qr.png"] if rma.method == "qr_dropoff" else ["label.pdf", "slip.pdf"]
    for kind in kinds:
        body, mimetype = render_return_document(rma, kind)
        data = body.encode() if isinstance(body, str) else body
        maintype, subtype = mimetype.split("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=f"{rma.number}-{kind}"
        )


def send_return_confirmation(rma: Return, channel: str = "email") -> bool:
    """Send the customer their return's number, next step, documents and page link."""
    return send_update(rma, "opened", channel=channel)


def send_refund_paid(rma: Return, refund: Refund, channel: str = "email") -> bool:
    """E-mail the customer that money moved: refunded to the card, issued as store credit
    (with its code), or the exchange difference charged."""
    code = lookup(refund.provider_refund_id or "") if refund.method == "store_credit" else None
    kind = {"store_credit": "credit_issued", "exchange_charge": "charged"}.get(
        refund.method, "refund_paid"
    )
    return send_update(rma, kind, channel=channel, refund=refund, code=code)


def send_refund_denied(rma: Return, refund: Refund, reason: str, channel: str = "email") -> bool:
    """Tell the customer that a refund was refused, and why."""
    return send_update(rma, "refund_denied", channel=channel, refund=refund, reason=reason)
