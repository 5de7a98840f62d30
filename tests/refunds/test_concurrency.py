"""Twenty finance users click approve at once: exactly one refund reaches Stripe."""

from __future__ import annotations

import threading

from flask_migrate import upgrade

from config import TestingConfig
from returns_portal import create_app
from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.refunds import services as refunds
from returns_portal.refunds.gateway import payment_gateway
from returns_portal.refunds.models import Refund, RefundStatus
from tests.refunds.conftest import PASSWORD, paid_order, proposed_refund
from tests.test_migrations import empty_database as empty_database  # fixture: a fresh database

CLICKS = 20


def test_twenty_concurrent_approvals_make_exactly_one_stripe_refund(
    empty_database, localstripe_url
):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = empty_database
        PAYMENT_GATEWAY = "stripe"
        STRIPE_API_BASE = localstripe_url
        STRIPE_API_KEY = "sk_test_concurrency"

    app = create_app(Config)
    with app.app_context():  # real commits, on a database of its own
        upgrade()
        reference = paid_order()
        refund_id = proposed_refund().id
        users = [create_user(f"fin{n}@example.com", PASSWORD, "finance").id for n in range(CLICKS)]

    start = threading.Barrier(CLICKS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def click(user_id: int) -> None:
        with app.app_context():
            from returns_portal.accounts.models import User

            user = db.session.get(User, user_id)
            db.session.commit()  # hold no transaction while waiting for the others
            start.wait()
            try:
                result = refunds.approve_refund(refund_id, user).status
            except refunds.RefundError:
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(str(result))

    threads = [threading.Thread(target=click, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with app.app_context():
        stripe_refunds = payment_gateway().list_refunds(reference)  # counted at Stripe
        refund = db.session.get(Refund, refund_id)
        assert len(stripe_refunds) == 1
        assert refund.status == RefundStatus.SUCCEEDED
        assert refund.provider_refund_id == stripe_refunds[0].reference
        assert stripe_refunds[0].amount == refund.amount
        assert outcomes.count(RefundStatus.SUCCEEDED.value) == 1
        assert outcomes.count("refused") == CLICKS - 1
        db.session.remove()  # give the connection back before closing the pool
        db.engine.dispose()


CHECKOUTS = 10


def test_concurrent_checkouts_never_spend_more_store_credit_than_there_is(empty_database):
    from returns_portal.refunds import credit

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = empty_database

    app = create_app(Config)
    with app.app_context():  # real commits, on a database of its own
        upgrade()
        paid_order()
        finance = create_user("fin@example.com", PASSWORD, "finance")
        refund = proposed_refund(quantity=1, resolution="store_credit")
        code = refunds.approve_refund(refund.id, finance).provider_refund_id
        balance = credit.lookup(code).balance
        db.session.remove()
    spend = balance // 3 + 1  # two can be paid, a third cannot
    start = threading.Barrier(CHECKOUTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def checkout(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                credit.redeem(code, spend, "CNY", f"checkout-{n}")
                result = "spent"
            except credit.CreditError as exc:
                result = str(exc.status)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(CHECKOUTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with app.app_context():
        assert sorted(outcomes) == ["409"] * (CHECKOUTS - 2) + ["spent"] * 2
        assert credit.lookup(code).balance == balance - 2 * spend
        db.session.remove()
        db.engine.dispose()
