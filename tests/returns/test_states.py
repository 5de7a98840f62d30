"""The state table (docs/customer-states.md), row by row: a return is driven into each row
through the real services, then its page and the mail that change sent are read for the same
facts: the status, the one next step, the money and when, and the items."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.accounts.services import create_user
from returns_portal.events import services as events
from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.receiving import services as receiving
from returns_portal.receiving.models import Inspection
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.overdue import tell_overdue
from returns_portal.returns.services import cancel_return, ship_replacement, transition
from returns_portal.returns.services.links import signed_link_token
from returns_portal.returns.services.tracking import record_scan
from returns_portal.returns.states import Row, customer_state
from returns_portal.shipping.services import live_shipment
from returns_portal.store.services import active_policy, save_policy
from returns_portal.types import utcnow
from tests.builders import open_portal_return
from tests.mail import attachments, body, outbox
from tests.refunds.conftest import INTACT_TEE, PASSWORD, paid_order

WORKER = "user:999 w@example.com"


@pytest.fixture
def finance(session):
    return create_user("fin@example.com", PASSWORD, "finance")


@pytest.fixture
def gateway():
    fake = payment_gateway()
    fake.down = False
    yield fake
    fake.down = False


@pytest.fixture
def shop(app, session, gateway):
    paid_order()
    return app


def page_of(app, rma: Return) -> str:
    """The return page as the customer reads it: text only, entities decoded."""
    with app.test_request_context():
        token = signed_link_token(rma)
    answer = app.test_client().get(f"/returns/{rma.number}?t={token}")
    assert answer.status_code == 200
    main = answer.text.split("<main", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def mails_of(app, rma: Return):
    return [m for m in outbox(app) if rma.number in m["Subject"] or rma.number in body(m)]


def last_mail(app, rma: Return) -> tuple[str, str]:
    mail = mails_of(app, rma)[-1]
    return str(mail["Subject"]), " ".join(body(mail).split())


def told(app, rma: Return, row: Row, *facts: str, subject: str | None = None) -> None:
    """The return is in `row`; its page and its newest mail both say each of `facts`."""
    db.session.expire_all()
    rma = db.session.get(Return, rma.id)
    assert customer_state(rma).row is row
    page = page_of(app, rma)
    mail_subject, mail = last_mail(app, rma)
    if subject is not None:
        assert subject in mail_subject
    for fact in facts:
        assert fact in page, f"page lacks {fact!r}: {page}"
        assert fact in mail, f"mail lacks {fact!r}: {mail}"
    assert "T-shirt · Black / M × 2" in page and "T-shirt · Black / M × 2" in mail  # the items
    assert f"/returns/{rma.number}?t=" in mail  # and the way to the page


def inspect(rma: Return, count: int = 2, sku: str = "APP-TEE-BLK-M") -> Refund:
    inspection = receiving.receive_parcel(rma, WORKER)
    for _ in range(count):
        receiving.scan_item(inspection, sku, WORKER)
    for expected in receiving.expected_items(inspection):
        receiving.record_inspection(
            inspection, expected.finding, INTACT_TEE, "A", None, "", "", 0, WORKER
        )
    return receiving.complete_inspection(inspection, WORKER)


def two_tees(resolution: str = "refund", exchange: str | None = None) -> Return:
    return open_portal_return(
        items=(("L1", 2, "too_small", resolution),),
        exchanges={"L1": exchange} if exchange else None,
    )


def set_policy(**sections):
    document = dict(active_policy().document)
    for key, value in sections.items():
        document[key] = {**document[key], **value}
    save_policy(document, "test")


# --- before the parcel moves ----------------------------------------------------------------


def test_awaiting_shipment_the_confirmation_carries_the_label_and_the_three_facts(shop):
    rma = two_tees()
    told(shop, rma, Row.AWAITING_SHIPMENT,
         "Waiting for you to send it",
         "Pack the items with the packing slip, then send the parcel with the label.",
         "back to the way you paid, after we have checked your return.",
         "Due within 7 days after we receive your return.",
         subject=f"Your return {rma.number}")  # fmt: skip
    files = attachments(mails_of(shop, rma)[-1])
    assert files[f"{rma.number}-label.pdf"].startswith(b"%PDF")
    assert files[f"{rma.number}-slip.pdf"].startswith(b"%PDF")


def test_a_drop_off_return_is_told_to_show_the_qr_code_not_to_print(shop):
    rma = open_portal_return(items=(("L1", 2, "too_small", "refund"),), method="qr_dropoff")
    told(shop, rma, Row.AWAITING_SHIPMENT, "show the QR code there")
    mail = mails_of(shop, rma)[-1]
    assert "packing slip" not in body(mail)
    assert list(attachments(mail)) == [f"{rma.number}-qr.png"]


def test_label_expiring_says_by_when_and_what_happens_after(shop):
    set_policy(return_shipping={"ship_within_days": 14})
    rma = two_tees()
    assert customer_state(rma).row is Row.AWAITING_SHIPMENT
    assert "Send it by" in page_of(shop, rma)  # the date to send it is on the page from the start
    rma.requested_at = utcnow() - timedelta(days=13)
    db.session.commit()
    state = customer_state(rma)
    assert state.row is Row.LABEL_EXPIRING and state.days_to_ship in (0, 1)
    page = page_of(shop, rma)
    assert "the date to send it is near" in page
    assert "after that the label stops working and the return expires" in page
    rma.requested_at = utcnow() - timedelta(days=16)  # past it, not yet expired by the job
    db.session.commit()
    assert "please send it today" in page_of(shop, rma)


def a_return_before(order_number: str = "1002") -> None:
    """An earlier return of the same customer, from another order."""
    paid_order(order_number)
    open_portal_return(order_number, items=(("L1", 1, "too_small", "refund"),))


def test_needs_review_says_do_not_send_yet_and_its_mail_carries_no_label(shop):
    set_policy(abuse={"max_returns": 1, "within_days": 90})
    a_return_before()
    rma = two_tees()
    assert rma.status == ReturnStatus.NEEDS_REVIEW
    told(shop, rma, Row.NEEDS_REVIEW, "Being checked by our team",
         "will e-mail you within one working day. Please do not send it yet.",
         "If we accept your return:")  # fmt: skip
    assert attachments(mails_of(shop, rma)[-1]) == {}
    assert "Download the label" not in page_of(shop, rma)
    # Accepted by our team: a mail says so and carries the label now.
    transition(rma, ReturnStatus.AWAITING_SHIPMENT, "user:1 support@example.com")
    events.commit()
    told(shop, rma, Row.AWAITING_SHIPMENT, "Waiting for you to send it",
         subject=f"Your return {rma.number} is accepted")  # fmt: skip
    assert f"{rma.number}-label.pdf" in attachments(mails_of(shop, rma)[-1])


# --- the parcel on its way ------------------------------------------------------------------


def test_in_transit_then_delivered_each_mailed_once_in_any_order(shop):
    rma = two_tees()
    shipment = live_shipment(rma)
    at = utcnow()
    assert record_scan(shipment, "delivered", at, "Delivered")  # the delivery came in first
    told(shop, rma, Row.DELIVERED, "Delivered to our warehouse",
         "the carrier delivered your parcel to us", subject="has been delivered to us")  # fmt: skip
    count = len(mails_of(shop, rma))
    assert not record_scan(shipment, "delivered", at, "Delivered")  # a duplicate: nothing new
    assert record_scan(shipment, "in_transit", at - timedelta(hours=5), "Departed")  # late
    assert len(mails_of(shop, rma)) == count
    assert customer_state(rma).row is Row.DELIVERED  # the newest scan tells


def test_in_transit(shop):
    rma = two_tees()
    record_scan(live_shipment(rma), "in_transit", utcnow(), "Picked up")
    told(shop, rma, Row.IN_TRANSIT, "On its way to us",
         "Nothing to do: we will tell you when it arrives.",
         subject=f"Your return {rma.number} is on its way to us")  # fmt: skip


# --- at the warehouse -----------------------------------------------------------------------


def test_received(shop):
    rma = two_tees()
    receiving.receive_parcel(rma, WORKER)
    state = customer_state(rma)
    told(shop, rma, Row.RECEIVED, "Received at our warehouse",
         "Nothing to do: we are checking the items.",
         f"Due by {state.due_by.strftime('%B')}",
         subject=f"We have received your return {rma.number}")  # fmt: skip


def test_inspected_waiting_for_finance(shop):
    rma = two_tees()
    inspect(rma)
    told(shop, rma, Row.INSPECTED, "Checked: refund waiting for approval",
         "we will e-mail you when the money is on its way",
         "back to the way you paid, once approved.", "Due by",
         subject=f"We have checked your return {rma.number}")  # fmt: skip


def test_refund_approved_while_the_provider_is_down(shop, gateway, finance):
    rma = two_tees()
    refund = inspect(rma)
    gateway.down = True
    refunds.approve_refund(refund.id, finance)
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "failed"
    page = page_of(shop, rma)
    assert customer_state(rma).row is Row.REFUND_APPROVED
    assert "Refund approved" in page and "Nothing to do: the money is on its way." in page
    assert "approved, being paid." in page and "Due by" in page


def test_refund_overdue_says_it_is_late_and_what_to_do_and_is_mailed_once(shop, gateway):
    rma = two_tees()
    inspect(rma)
    inspection = db.session.scalar(select(Inspection).where(Inspection.return_id == rma.id))
    inspection.started_at = utcnow() - timedelta(days=12)  # 7 days after receipt have passed
    db.session.commit()
    assert tell_overdue() == 1
    told(shop, rma, Row.REFUND_OVERDUE, "Your refund is late",
         "Reply to any of our e-mails about this return and we will pay it at once.",
         "It was due by", subject=f"Your refund for return {rma.number} is late")  # fmt: skip
    assert tell_overdue() == 0  # told once


# --- the money settled ----------------------------------------------------------------------


def test_paid_to_card_closes_the_return(shop, finance):
    rma = two_tees()
    refund = inspect(rma)
    refunds.approve_refund(refund.id, finance)
    told(shop, rma, Row.PAID_TO_CARD, "Refunded: return complete",
         "Nothing to do: your return is complete. Thank you!",
         "paid back on", subject=f"Your refund for return {rma.number}")  # fmt: skip


def test_store_credit_issued(shop, finance):
    rma = two_tees("store_credit")
    refund = inspect(rma)
    refunds.approve_refund(refund.id, finance)
    told(shop, rma, Row.STORE_CREDIT_ISSUED, "Store credit issued: return complete",
         "Use your code at checkout.", "issued on",
         subject=f"Your store credit for return {rma.number}")  # fmt: skip
    code = customer_state(rma).parts[0].code.code
    assert code in body(mails_of(shop, rma)[-1]) and code not in page_of(shop, rma)


def test_an_even_exchange_is_settled_without_a_refund_word_in_any_mail(shop):
    db.session.add(StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    set_policy(return_shipping={"paid_by": "merchant"})  # no label to pay: nothing moves
    rma = two_tees("exchange", "APP-TEE-BLK-L")
    inspect(rma)
    told(shop, rma, Row.EXCHANGE_PREPARING, "Exchange accepted: your new item is being prepared",
         "we will e-mail you when your new item ships",
         "No money moves: your new item costs what you paid.",
         subject=f"Your exchange {rma.number} is settled")  # fmt: skip
    for mail in mails_of(shop, rma):
        text = f"{mail['Subject']} {body(mail)}".lower()
        assert "refund" not in text, text


def test_the_new_item_on_its_way_with_its_tracking_number(shop):
    db.session.add(StockLevel(sku="APP-TEE-BLK-L", product_group="APP-TEE", name="T-shirt",
                              variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
    db.session.commit()
    set_policy(return_shipping={"paid_by": "merchant"})
    rma = two_tees("exchange", "APP-TEE-BLK-L")
    inspect(rma)
    ship_replacement(rma, "SF Express", "SF1234567890", "user:1 support@example.com")
    told(shop, rma, Row.EXCHANGE_ON_ITS_WAY, "Your new item is on its way",
         "Nothing to do: your new item is on its way with SF Express, tracking number "
         "SF1234567890.", "No money moves",
         subject=f"Your new item for return {rma.number} is on its way")  # fmt: skip
    for mail in mails_of(shop, rma):
        text = f"{mail['Subject']} {body(mail)}".lower()
        assert "refund" not in text, text


def test_a_wholly_denied_refund(shop, finance):
    rma = two_tees()
    refund = inspect(rma)
    refunds.deny_refund(refund.id, finance, "The shirts came back worn.")
    told(shop, rma, Row.REFUND_DENIED, "Not refunded",
         "We will not refund this return; the reason is below.",
         "We cannot refund", "The shirts came back worn.",
         subject=f"About the refund for return {rma.number}")  # fmt: skip
    assert "Due by" not in page_of(shop, rma)


def test_partly_refunded_when_one_part_is_denied(shop, finance):
    set_policy(windows={"categories": {"appliances": 30}, "products": {}})
    rma = open_portal_return(
        items=(("L1", 2, "too_small", "refund"), ("L2", 1, "changed_mind", "store_credit"))
    )
    inspection = receiving.receive_parcel(rma, WORKER)
    for sku in ("APP-TEE-BLK-M", "APP-TEE-BLK-M", "APL-KETTLE"):
        receiving.scan_item(inspection, sku, WORKER)
    for expected in receiving.expected_items(inspection):
        answers = {q.code: True for q in receiving.questions_for(inspection, expected)}
        receiving.record_inspection(
            inspection, expected.finding, answers, "A", None, "", "", 0, WORKER
        )
    receiving.complete_inspection(inspection, WORKER)
    card, credit = sorted(
        db.session.scalars(select(Refund).where(Refund.return_id == rma.id)),
        key=lambda r: r.method,
    )
    assert (card.method, credit.method) == ("original_payment", "store_credit")
    refunds.approve_refund(card.id, finance)
    refunds.deny_refund(credit.id, finance, "The kettle was used.")
    told(shop, rma, Row.PARTLY_REFUNDED, "Partly refunded: return complete",
         "paid back on", "We cannot refund", "The kettle was used.")  # fmt: skip


def test_a_line_that_brings_nothing_back_says_so_on_its_item(shop, finance):
    rma = two_tees()
    inspection = receiving.receive_parcel(rma, WORKER)
    # Nothing of the line came in: the whole line is deducted.
    receiving.complete_inspection(inspection, WORKER)
    state = customer_state(rma)
    (item,) = state.items
    assert item.denied and item.refund == 0
    assert "Not refunded." in page_of(shop, rma)


# --- ended without money --------------------------------------------------------------------


def test_cancelled(shop):
    rma = two_tees()
    cancel_return(rma)
    told(shop, rma, Row.CANCELLED, "Cancelled",
         "You can start a new return while the window is open.",
         "No refund is due and nothing is charged",
         subject=f"Your return {rma.number} is cancelled")  # fmt: skip


def test_rejected_says_why(shop):
    set_policy(abuse={"max_returns": 1, "within_days": 90})
    a_return_before()
    rma = two_tees()
    transition(rma, ReturnStatus.REJECTED, "user:1 support@example.com",
               "Too many returns this season.")  # fmt: skip
    events.commit()
    told(shop, rma, Row.REJECTED, "Not accepted", "please do not send this return",
         "No refund: the return was not accepted.", "Too many returns this season.",
         subject=f"Your return {rma.number} was not accepted")  # fmt: skip


def test_expired(shop):
    rma = two_tees()
    transition(rma, ReturnStatus.EXPIRED, "system")
    events.commit()
    told(shop, rma, Row.EXPIRED, "Expired (never sent)", "the label no longer works",
         "No refund is due and nothing is charged",
         subject=f"Your return {rma.number} has expired")  # fmt: skip


def test_a_mail_overtaken_by_a_later_change_is_not_sent(shop):
    from returns_portal.notifications.handlers import mail_return_moved

    rma = two_tees()
    receiving.receive_parcel(rma, WORKER)
    count = len(mails_of(shop, rma))
    mail_return_moved(rma.id, ReturnStatus.IN_TRANSIT.value)  # delivered late, after receipt
    assert len(mails_of(shop, rma)) == count


def test_every_row_of_the_table_is_documented_and_worded():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "customer-states.md").read_text()
    words = (Path(__file__).parents[2] / "templates" / "returns" / "_state.txt").read_text()
    for row in Row:
        assert f"| `{row.value}` |" in doc
        assert f'"{row.value}"' in words


def test_every_row_of_the_table_is_reached_by_a_test_here():
    from pathlib import Path

    here = Path(__file__).read_text()
    for row in Row:
        reached = f"told(shop, rma, Row.{row.name}," in here or f".row is Row.{row.name}" in here
        assert reached, f"no test drives a return into {row.value}"
