"""A category word that names a legal exclusion implies its fact, unless the flag says no."""

from __future__ import annotations

import pytest

from returns_portal import policy
from returns_portal.extensions import db
from returns_portal.orders.models import Order
from returns_portal.orders.services import upsert_order
from returns_portal.returns import services as returns
from returns_portal.store.services import save_policy
from returns_portal.types import utcnow
from tests.builders import recent_order_document

WORDS = [
    ("periodical", "periodical", "excluded_periodical"),
    ("custom", "custom_made", "excluded_custom_made"),
    ("fresh_food", "perishable", "excluded_perishable"),
    ("digital_download", "digital_download", "excluded_digital_download"),
]


def t_shirt_as(category: str, **flags: bool) -> dict:
    document = recent_order_document()
    line = document["lines"][0]  # the T-shirts, delivered 2 days ago: well in the window
    line["category"] = category
    line.update(flags)
    return document


def decision_of_first_line():
    order = db.session.scalar(db.select(Order).where(Order.number == "1001"))
    choices = returns.line_choices(returns.order_context(order), utcnow())
    return next(c for c in choices if c.line.line_ref == "L1").decision


@pytest.mark.parametrize("pack", ["cn-7day", "eu-14day"])
@pytest.mark.parametrize("category, fact, code", WORDS)
def test_the_category_word_alone_excludes_the_line(session, pack, category, fact, code):
    document = policy.default_document(pack)
    document["timezone"] = "Asia/Shanghai"
    save_policy(document)
    upsert_order(t_shirt_as(category))
    order = db.session.scalar(db.select(Order).where(Order.number == "1001"))
    assert getattr(order.lines[0], fact) is True
    decision = decision_of_first_line()
    # No return without a reason under the statutory right; a defect still may be returned.
    assert not decision.statutory
    assert policy.ReturnReason.CHANGED_MIND not in decision.allowed_reasons
    assert code in {r.code for r in decision.reasons}


@pytest.mark.parametrize("category, fact, code", WORDS)
def test_an_explicit_false_flag_wins_over_the_word(session, category, fact, code):
    upsert_order(t_shirt_as(category, **{fact: False}))
    order = db.session.scalar(db.select(Order).where(Order.number == "1001"))
    assert getattr(order.lines[0], fact) is False
    decision = decision_of_first_line()
    assert code not in {r.code for r in decision.reasons}
    assert decision.statutory
