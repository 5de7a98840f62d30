"""The finance refund queue and a refund's page, through the test client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returns_portal.accounts.access import Actor
from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.services import refundable
from tests.refunds.conftest import PASSWORD, paid_order, proposed_refund


def sign_in(client, email: str, role: str | None = None):
    if role is not None:
        create_user(email, PASSWORD, role)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def gateway():
    fake = payment_gateway()
    fake.down = False
    yield fake
    fake.down = False


@pytest.fixture
def desk(client, finance, gateway):
    """A finance user signed in at the refund desk."""
    from returns_portal.extensions import limiter

    limiter.reset()
    return sign_in(client, finance.email)


def test_the_queue_lists_a_proposed_refund_with_its_amount_and_the_totals(desk):
    paid_order()
    refund = proposed_refund()
    page = desk.get("/finance/refunds").text
    assert f"/finance/refunds/{refund.id}" in page
    assert "1001" in page and "Waiting for approval" in page and "0 / 1" in page
    assert "CN¥252.00" in page
    assert 'data-total="CNY">CN¥252.00<' in page


def test_the_queue_filters_by_status_and_minimum_amount(desk, finance):
    paid_order()
    small = proposed_refund(quantity=1)
    large = proposed_refund(quantity=1)
    desk.post(f"/finance/refunds/{small.id}/adjust", data={"amount": "10", "reason": "scuffed"})
    assert db.session.get(Refund, small.id).amount == 1000
    page = desk.get("/finance/refunds?min_amount=50").text
    assert f'/finance/refunds/{large.id}"' in page
    assert f'/finance/refunds/{small.id}"' not in page
    page = desk.get("/finance/refunds?max_amount=10.00").text
    assert f'/finance/refunds/{small.id}"' in page
    assert f'/finance/refunds/{large.id}"' not in page
    desk.post(f"/finance/refunds/{small.id}/deny", data={"reason": "Items never arrived"})
    assert f'/finance/refunds/{small.id}"' not in desk.get("/finance/refunds").text
    page = desk.get("/finance/refunds?status=cancelled").text
    assert f'/finance/refunds/{small.id}"' in page
    assert f'/finance/refunds/{large.id}"' not in page


def test_the_queue_shows_why_a_failed_refund_failed(desk, gateway, finance):
    paid_order()
    refund = proposed_refund()
    gateway.down = True
    desk.post(f"/finance/refunds/{refund.id}/approve", data={})
    gateway.down = False
    assert db.session.get(Refund, refund.id).status == RefundStatus.FAILED
    page = desk.get("/finance/refunds").text
    assert "Failed" in page and db.session.get(Refund, refund.id).failure_message in page


def test_the_refund_page_shows_the_breakdown_with_each_deductions_reason(desk):
    paid_order()
    refund = proposed_refund()
    page = desk.get(f"/finance/refunds/{refund.id}").text
    assert "T-shirt" in page and "CN¥258.00" in page
    assert "The return shipping label costs CN¥6.00, deducted from the refund." in page
    assert "CN¥252.00" in page
    assert "cn-7day" in page  # the policy version
    assert "The law gives you 7 days" in page  # the decisions' reasons
    assert "grade A" in page and "The brand tag is attached" in page  # the inspection
    remaining = refundable(refund, exclude_self=True)
    assert f"What remains refundable: CN¥{remaining / 100:,.2f}" in page


def test_approving_on_the_page_pays_the_refund(desk):
    paid_order()
    refund = proposed_refund()
    response = desk.post(f"/finance/refunds/{refund.id}/approve", data={"note": "ok"})
    assert response.status_code == 302
    assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
    page = desk.get(response.headers["Location"]).text
    assert "Refund paid: CNY 252.00." in page
    assert "approved · fin@example.com" in page and "— ok" in page


def test_approving_is_never_done_by_opening_a_page(desk):
    paid_order()
    refund = proposed_refund()
    assert desk.get(f"/finance/refunds/{refund.id}/approve").status_code == 405
    assert desk.get("/finance/refunds/bulk-approve").status_code == 405
    assert db.session.get(Refund, refund.id).status == RefundStatus.PROPOSED


def test_adjusting_without_a_reason_shows_the_services_message(desk):
    paid_order()
    refund = proposed_refund()
    response = desk.post(f"/finance/refunds/{refund.id}/adjust", data={"amount": "100"})
    assert "Say why the amount changes." in desk.get(response.headers["Location"]).text
    assert db.session.get(Refund, refund.id).amount == 25200


def test_adjusting_converts_major_units_and_refuses_more_than_remains(desk):
    paid_order()
    refund = proposed_refund()
    desk.post(f"/finance/refunds/{refund.id}/adjust", data={"amount": "120.50", "reason": "stain"})
    assert db.session.get(Refund, refund.id).amount == 12050
    response = desk.post(
        f"/finance/refunds/{refund.id}/adjust", data={"amount": "9999", "reason": "goodwill"}
    )
    assert "between 0 and what remains" in desk.get(response.headers["Location"]).text
    desk.post(f"/finance/refunds/{refund.id}/adjust", data={"amount": "1.234", "reason": "x"})
    assert db.session.get(Refund, refund.id).amount == 12050


def test_denying_records_the_reason_the_customer_is_told(desk):
    paid_order()
    refund = proposed_refund()
    response = desk.post(f"/finance/refunds/{refund.id}/deny", data={"reason": ""})
    assert "Say why the refund is denied" in desk.get(response.headers["Location"]).text
    desk.post(f"/finance/refunds/{refund.id}/deny", data={"reason": "Items never arrived"})
    denied = db.session.get(Refund, refund.id)
    assert denied.status == RefundStatus.CANCELLED
    assert denied.failure_message == "Items never arrived"
    assert denied.approvals[-1].decision == "deny"


def test_bulk_approval_shows_the_total_first_then_pays_and_reports_refusals(desk, finance):
    paid_order("1001")
    paid_order("1002")
    first = proposed_refund("1001", quantity=1)
    second = proposed_refund("1001", quantity=1)
    # The finance user inspected this one, so they may not approve it.
    theirs = proposed_refund("1002", quantity=1, inspector=Actor.of(finance))
    ids = [first.id, second.id, theirs.id]
    confirm = desk.post("/finance/refunds/bulk-approve", data={"ids": ids})
    assert confirm.status_code == 200
    assert "Approve these refunds?" in confirm.text and "CN¥369.00" in confirm.text
    assert all(db.session.get(Refund, i).status == RefundStatus.PROPOSED for i in ids)
    response = desk.post("/finance/refunds/bulk-approve", data={"ids": ids, "confirm": "yes"})
    assert response.status_code == 302
    assert db.session.get(Refund, first.id).status == RefundStatus.SUCCEEDED
    assert db.session.get(Refund, second.id).status == RefundStatus.SUCCEEDED
    assert db.session.get(Refund, theirs.id).status == RefundStatus.PROPOSED
    page = desk.get(response.headers["Location"]).text
    assert "2 refunds paid." in page and "1 refund not paid:" in page
    assert "You inspected these items" in page


@pytest.mark.parametrize("role", ["warehouse", "support"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/finance/refunds"),
        ("get", "/finance/refunds/{id}"),
        ("get", "/finance/refunds/{id}/photos/0123456789abcdef0123456789abcdef.jpg"),
        ("post", "/finance/refunds/{id}/approve"),
        ("post", "/finance/refunds/bulk-approve"),
        ("get", "/finance/exports/refunds.csv?from=2025-01-01&to=2025-01-31"),
    ],
)
def test_other_staff_roles_are_refused(client, gateway, role, method, path):
    from returns_portal.extensions import limiter

    limiter.reset()
    paid_order()
    refund = proposed_refund()
    sign_in(client, f"{role}@example.com", role)
    response = getattr(client, method)(path.format(id=refund.id), data={"ids": [refund.id]})
    assert response.status_code == 403
    assert db.session.get(Refund, refund.id).status == RefundStatus.PROPOSED


def test_an_admin_may_open_the_queue(client, gateway):
    from returns_portal.extensions import limiter

    limiter.reset()
    sign_in(client, "admin@example.com", "admin")
    assert client.get("/finance/refunds").status_code == 200


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(client):
    response = client.get("/finance/refunds")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]


def test_an_exchange_s_page_shows_how_the_money_moves(desk):
    from returns_portal.orders.models import StockLevel

    db.session.add(StockLevel(sku="APP-TEE-SLK-L", product_group="APP-TEE-SILK", name="Silk T-shirt",
                              unit_price=15900, on_hand=5))  # fmt: skip
    db.session.commit()
    paid_order()
    charge = proposed_refund(quantity=1, resolution="exchange", exchange_sku="APP-TEE-SLK-L")
    assert charge.method == "exchange_charge"
    page = desk.get(f"/finance/refunds/{charge.id}").text
    assert "How the money moves" in page
    assert "Exchanged items came back worth" in page and "CN¥129.00" in page
    assert "New items sent for them" in page and "CN¥159.00" in page
    assert "Exchange difference (charge)" in page and "this refund" in page
    assert "CN¥36.00" in page  # 159.00 − 129.00 + the 6.00 label
    queue = desk.get("/finance/refunds?method=exchange_charge").text
    assert "CN¥36.00" in queue


def test_the_refund_page_shows_the_item_photos_and_serves_only_those(desk, client):
    import io

    from PIL import Image
    from sqlalchemy import select

    from returns_portal.receiving.models import Inspection, InspectionItem
    from returns_portal.returns.photos import accept_photo

    paid_order()
    refund = proposed_refund()
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(image, format="JPEG")
    key = accept_photo(image.getvalue())
    other = accept_photo(image.getvalue())  # stored, but not this refund's
    found = db.session.scalars(
        select(InspectionItem).join(Inspection).where(Inspection.return_id == refund.return_id)
    ).first()
    found.photos = [key]
    db.session.commit()
    page = desk.get(f"/finance/refunds/{refund.id}").text
    url = f"/finance/refunds/{refund.id}/photos/{key}"
    assert f'src="{url}"' in page and "Photo 1 of" in page
    served = desk.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data[:2] == b"\xff\xd8"
    assert desk.get(f"/finance/refunds/{refund.id}/photos/{other}").status_code == 404
    assert desk.get(f"/finance/refunds/{refund.id}/photos/..%2Fsecret.jpg").status_code == 404


def test_a_failed_refund_is_never_a_dead_end_finance_can_retry_adjust_or_deny_it(
    desk, finance, gateway
):
    from returns_portal.audit.models import AuditEvent

    reference = paid_order()
    refund = proposed_refund()
    refund.amount = 10**7  # above what was paid: refused for good
    db.session.commit()
    desk.post(f"/finance/refunds/{refund.id}/approve", data={"note": ""})
    assert db.session.get(Refund, refund.id).status == RefundStatus.FAILED
    page = desk.get(f"/finance/refunds/{refund.id}").text
    assert "Retry" in page and "Change the amount" in page and "Deny the refund" in page
    # Reconcile retrying an unchanged refusal writes no new audit row each run.
    from returns_portal.refunds import services as refunds

    def refusals() -> int:
        return len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_id == refund.key, AuditEvent.action == "refund.refused")).all())  # fmt: skip

    before = refusals()
    refunds.reconcile()
    refunds.reconcile()
    assert refusals() == before == 1
    # Retry refuses again (nothing sent); adjust down, then retry pays it once.
    response = desk.post(f"/finance/refunds/{refund.id}/retry", follow_redirects=True)
    assert "exceed" in response.text and gateway.list_refunds(reference) == []
    desk.post(f"/finance/refunds/{refund.id}/adjust",
              data={"amount": "100.00", "reason": "what was really paid back"})  # fmt: skip
    assert db.session.get(Refund, refund.id).amount == 10000
    response = desk.post(f"/finance/refunds/{refund.id}/retry", follow_redirects=True)
    assert "Refund paid" in response.text
    assert [r.amount for r in gateway.list_refunds(reference)] == [10000]
    # A paid refund can't be retried, adjusted or denied.
    assert "Only a failed refund" in desk.post(
        f"/finance/refunds/{refund.id}/retry", follow_redirects=True).text  # fmt: skip


def test_a_failed_refund_can_be_denied_and_the_customer_is_told(desk, gateway):
    paid_order()
    refund = proposed_refund()
    gateway.down = True
    desk.post(f"/finance/refunds/{refund.id}/approve", data={"note": ""})
    gateway.down = False
    assert db.session.get(Refund, refund.id).status == RefundStatus.FAILED
    desk.post(f"/finance/refunds/{refund.id}/deny", data={"reason": "Paid back in store"})
    denied = db.session.get(Refund, refund.id)
    assert (
        denied.status == RefundStatus.CANCELLED and denied.failure_message == "Paid back in store"
    )
    from returns_portal.events.models import OutboxMessage

    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.handler == "mail.refund_denied")
    )
    assert mail is not None and mail.done_at is not None
    assert mail.payload == {"refund_id": refund.id, "reason": "Paid back in store"}


@pytest.mark.parametrize(("currency", "amount"), [("JPY", 1200), ("BHD", 1200), ("HUF", 1200)])
def test_the_amount_filter_reads_major_units_in_each_refunds_own_currency(desk, currency, amount):
    paid_order()
    refund = proposed_refund(quantity=1)
    refund.currency, refund.amount = currency, amount  # 1200 yen, 1.200 dinar, 12.00 forint
    db.session.commit()
    major = {"JPY": "1200", "BHD": "1.2", "HUF": "12"}[currency]
    shown = f'/finance/refunds/{refund.id}"'
    assert shown in desk.get(f"/finance/refunds?min_amount={major}&max_amount={major}").text
    above = {"JPY": "1201", "BHD": "1.201", "HUF": "12.01"}[currency]
    assert shown not in desk.get(f"/finance/refunds?min_amount={above}").text
