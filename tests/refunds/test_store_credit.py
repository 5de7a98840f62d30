"""Store credit: a code per credit refund, redeemed once per key, expired once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.refunds import credit
from returns_portal.refunds import services as refunds
from returns_portal.refunds.models import RefundStatus, StoreCreditEntry
from returns_portal.types import utcnow
from tests.mail import body as mail_body
from tests.refunds.conftest import paid_order, proposed_refund


@pytest.fixture
def code(session, finance) -> str:
    """Credit for one T-shirt returned for store credit, approved: its code."""
    paid_order()
    refund = proposed_refund(quantity=1, resolution="store_credit")
    assert refund.method == "store_credit" and refund.payment_id is None
    paid = refunds.approve_refund(refund.id, finance)
    assert paid.status == RefundStatus.SUCCEEDED
    return paid.provider_refund_id


def test_a_store_credit_refund_issues_a_code_valid_for_a_year(code, app):
    found = credit.lookup(code)
    assert found is not None
    assert code.startswith("SC-") and len(code) == 17
    assert found.balance == found.issued > 0
    assert found.customer_email == "li.wei@example.com"
    days = app.config["STORE_CREDIT_VALID_DAYS"]
    assert abs(found.expires_at - (utcnow() + timedelta(days=days))) < timedelta(minutes=1)


def test_codes_are_found_however_they_are_typed(code):
    assert credit.lookup(code.lower().replace("-", " ")).code == code
    assert credit.lookup("SC-2222-2222-2222") is None


def test_the_policy_bonus_goes_on_the_same_code(session, finance):
    from returns_portal.store.services import active_policy, save_policy

    document = dict(active_policy().document)
    document["resolutions"] = {**document["resolutions"], "store_credit_bonus_percent": 10}
    save_policy(document, "test")
    paid_order()
    refund = refunds.approve_refund(proposed_refund(quantity=1, resolution="store_credit").id,
                                    finance)  # fmt: skip
    entries = db.session.scalars(
        select(StoreCreditEntry).where(StoreCreditEntry.code == refund.provider_refund_id)
    ).all()
    assert sorted((e.kind, e.amount) for e in entries) == [
        ("bonus", refund.amount // 10),
        ("issue", refund.amount),
    ]


def test_redeeming_spends_once_per_key(code):
    start = credit.lookup(code).balance
    first = credit.redeem(code, 1000, "CNY", "checkout-1", "W-5001")
    assert (first.balance, first.replayed) == (start - 1000, False)
    again = credit.redeem(code, 1000, "CNY", "checkout-1", "W-5001")
    assert (again.balance, again.replayed) == (start - 1000, True)
    assert credit.lookup(code).balance == start - 1000
    entry = db.session.scalar(select(StoreCreditEntry).where(StoreCreditEntry.key == "checkout-1"))
    assert (entry.kind, entry.amount, entry.note) == ("redeem", -1000, "W-5001")


@pytest.mark.parametrize(
    ("amount", "currency", "key", "status"),
    [
        (10**9, "CNY", "k-over", 409),  # more than is left
        (1000, "EUR", "k-eur", 422),  # another currency
        (0, "CNY", "k-zero", 422),
        (1000, "CNY", "checkout-1", 409),  # a key already used for another redemption
    ],
)
def test_a_redemption_that_cannot_be_honoured_spends_nothing(code, amount, currency, key, status):
    credit.redeem(code, 500, "CNY", "checkout-1")
    before = credit.lookup(code).balance
    with pytest.raises(credit.CreditError) as refused:
        credit.redeem(code, amount, currency, key)
    assert refused.value.status == status
    assert credit.lookup(code).balance == before


def test_an_unknown_code_is_404(session):
    with pytest.raises(credit.CreditError) as refused:
        credit.redeem("SC-2222-2222-2222", 100, "CNY", "k")
    assert refused.value.status == 404


def test_expiry_writes_off_what_is_left_once_and_then_nothing_can_be_spent(code):
    credit.redeem(code, 1000, "CNY", "checkout-1")
    left = credit.lookup(code).balance
    later = utcnow() + timedelta(days=400)
    assert credit.expire(later) == [(code, left, "CNY")]
    assert credit.expire(later) == []  # once per code
    assert credit.lookup(code).balance == 0
    assert refunds.store_credit_balance("li.wei@example.com") == {}
    with pytest.raises(credit.CreditError):
        credit.redeem(code, 1, "CNY", "checkout-2")


def test_expired_credit_cannot_be_spent_before_the_write_off_runs(code):
    db.session.execute(
        StoreCreditEntry.__table__.update()
        .where(StoreCreditEntry.code == code)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    with pytest.raises(credit.CreditError) as refused:
        credit.redeem(code, 100, "CNY", "late")
    assert refused.value.status == 410


def test_credit_that_never_expires(app, session, finance):
    app.config["STORE_CREDIT_VALID_DAYS"] = 0
    try:
        paid_order()
        refund = proposed_refund(quantity=1, resolution="store_credit")
        code = refunds.approve_refund(refund.id, finance).provider_refund_id
    finally:
        app.config["STORE_CREDIT_VALID_DAYS"] = 365
    assert credit.lookup(code).expires_at is None
    assert credit.expire(utcnow() + timedelta(days=10_000)) == []


def test_the_api_reads_and_redeems_codes(client, code, auth):
    assert client.get(f"/api/v1/store-credit/{code}").status_code == 401
    read = client.get(f"/api/v1/store-credit/{code}", headers=auth)
    assert read.status_code == 200
    balance = read.json["balance"]
    assert read.json["code"] == code and read.json["expired"] is False
    body = {"amount": 700, "currency": "CNY", "key": "api-1", "reference": "W-1"}
    url = f"/api/v1/store-credit/{code}/redemptions"
    made = client.post(url, json=body, headers=auth)
    assert (made.status_code, made.json["balance"], made.json["replayed"]) == (
        201,
        balance - 700,
        False,
    )
    replay = client.post(url, json=body, headers=auth)
    assert (replay.status_code, replay.json["replayed"]) == (200, True)
    over = client.post(url, json={**body, "key": "api-2", "amount": balance}, headers=auth)
    assert over.status_code == 409 and "left on this code" in over.json["error"]
    bad = client.post(url, json={"amount": "7", "currency": "C"}, headers=auth)
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"amount", "currency", "key"}
    unknown = client.get("/api/v1/store-credit/SC-2222-2222-2222", headers=auth)
    assert unknown.status_code == 404


def test_the_credit_commands_show_codes_and_expire_them(code, cli):
    shown = cli.invoke(args=["credit", "show", "Li.Wei@example.com"])
    assert shown.exit_code == 0 and code in shown.output and "left of" in shown.output
    assert cli.invoke(args=["credit", "show", "SC-2222-2222-2222"]).exit_code == 1
    assert "0 code(s) expired." in cli.invoke(args=["credit", "expire"]).output


def newest_mail(app):
    from email import message_from_bytes
    from pathlib import Path

    outbox = sorted(
        Path(app.config["OUTBOX_FOLDER"]).glob("*.eml"), key=lambda p: p.stat().st_mtime
    )
    return message_from_bytes(outbox[-1].read_bytes())


def test_the_customer_gets_the_code_by_mail_and_on_the_return_page(app, code):
    from returns_portal.refunds.models import Refund
    from returns_portal.returns.models import Return
    from returns_portal.returns.services.links import signed_link_token

    body = mail_body(newest_mail(app))
    assert code in body and "Use it by" in body
    entry = db.session.scalar(select(StoreCreditEntry).where(StoreCreditEntry.code == code))
    rma = db.session.get(Return, db.session.get(Refund, entry.refund_id).return_id)
    with app.test_request_context():
        token = signed_link_token(rma)
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    # On the page the code is masked (whoever opens it can't spend it); the mail has it whole.
    assert "Your store credit" in page and "issued on" in page
    assert code not in page and f"SC-••••-••••-{code[-4:]}" in page
    # Another code of the same e-mail (another return, another order) is not shown at all.
    other = credit.issue(rma.order.email, 660000, 0, "CNY", None, "system")
    db.session.commit()
    page = app.test_client().get(f"/returns/{rma.number}?t={token}").text
    assert other not in page and other[-4:] not in page
    # the timeline speaks the customer's language: no internal event codes
    assert "Items checked" in page and "Money settled: return complete" in page
    assert "receipt." not in page and "refund.proposed" not in page
