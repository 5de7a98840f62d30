"""Replacement orders under concurrency: deliveries of the same event at once make one order
and move the stock once; a cancel racing a hand-over leaves the stock as it was."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.returns.models import ReplacementOrder, ReplacementStatus, Return, ReturnStatus
from returns_portal.returns.services import (
    ReturnError,
    cancel_return,
    create_replacement,
    transition,
)
from returns_portal.store.services import active_policy, save_policy
from tests.builders import open_portal_return
from tests.refunds.conftest import paid_order
from tests.test_migrations import app_for
from tests.test_migrations import empty_database as empty_database  # fixture: a fresh database

NEW = "APP-TEE-BLK-L"


@pytest.fixture
def racing_app(empty_database) -> Iterator[Flask]:
    app = app_for(empty_database)
    with app.app_context():  # real commits, on a database of its own
        upgrade()
        paid_order()
        db.session.add(StockLevel(sku=NEW, product_group="APP-TEE", name="T-shirt",
                                  variant="Black / L", unit_price=12900, on_hand=5))  # fmt: skip
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def race(app: Flask, calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls at once, each in its own app context; what each returned or raised."""
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        with app.app_context():
            start.wait()
            try:
                result = type(call()).__name__
            except ReturnError:
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def stock() -> tuple[int, int]:
    row = db.session.scalars(select(StockLevel).where(StockLevel.sku == NEW)).one()
    return row.on_hand, row.reserved


def unmade(rma: Return) -> None:
    """Take the return's replacement back as if it had never been made (the units held)."""
    db.session.execute(ReplacementOrder.__table__.delete())
    row = db.session.scalars(select(StockLevel).where(StockLevel.sku == NEW)).one()
    row.on_hand, row.reserved = 5, 2
    db.session.commit()


def test_ten_deliveries_at_once_make_one_order_and_move_the_stock_once(racing_app):
    with racing_app.app_context():
        rma = open_portal_return(items=(("L1", 2, "too_small", "exchange"),),
                                 exchanges={"L1": NEW})  # fmt: skip
        transition(rma, ReturnStatus.RECEIVED, "user:9 w@example.com")
        db.session.commit()  # no dispatch: the deliveries below race for it
        unmade(rma)
        return_id = rma.id
    outcomes = race(racing_app, [lambda: create_replacement(return_id)] * 10)
    assert outcomes == ["ReplacementOrder"] * 10
    with racing_app.app_context():
        (order,) = db.session.scalars(select(ReplacementOrder)).all()
        assert order.status == ReplacementStatus.HANDED_TO_FULFILMENT
        assert stock() == (3, 0)


def test_a_cancel_racing_the_hand_over_leaves_the_stock_as_it_was(racing_app):
    with racing_app.app_context():
        document = dict(active_policy().document)
        document["resolutions"] = {**document["resolutions"],
                                   "ship_exchanges_before_receipt": True}  # fmt: skip
        save_policy(document, "test")
        rma = open_portal_return(items=(("L1", 2, "too_small", "exchange"),),
                                 exchanges={"L1": NEW})  # fmt: skip
        unmade(rma)
        number, return_id = rma.number, rma.id

    def cancel() -> object:
        found = db.session.scalars(select(Return).where(Return.number == number)).one()
        return cancel_return(found)

    outcomes = race(racing_app, [cancel, lambda: create_replacement(return_id)])
    with racing_app.app_context():
        rma = db.session.get(Return, return_id)
        assert rma.status == ReturnStatus.CANCELLED, outcomes
        order = db.session.scalar(select(ReplacementOrder))
        # Either the hand-over came first and the cancel put the units back, or the cancel
        # came first and nothing was made: the shelf is whole and nothing is held either way.
        assert order is None or order.status == ReplacementStatus.CANCELLED
        assert stock() == (5, 0)
