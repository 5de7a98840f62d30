"""The refund lifecycle is one table: every status is in it, and nothing else moves a refund."""

from __future__ import annotations

import pytest

from returns_portal.refunds.models import Refund, RefundStatus
from returns_portal.refunds.services.common import TRANSITIONS, IllegalRefundTransition, move

S = RefundStatus


def refund_in(status: RefundStatus) -> Refund:
    return Refund(key="k", order_id=1, currency="CNY", amount=100, status=status.value)


def test_every_status_has_its_row_and_only_a_proposal_can_be_approved():
    assert set(TRANSITIONS) == set(RefundStatus)
    assert [s for s in RefundStatus if S.APPROVED in TRANSITIONS[s]] == [S.PROPOSED]
    assert S.PROPOSED not in {to for targets in TRANSITIONS.values() for to in targets}


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.PROPOSED, S.SUBMITTED),  # never sent without approval
        (S.PROPOSED, S.SUCCEEDED),
        (S.SUCCEEDED, S.SUBMITTED),  # paid: never sent again
        (S.SUCCEEDED, S.CANCELLED),  # paid money can't be denied
        (S.CANCELLED, S.SUBMITTED),  # denied: never sent
        (S.CANCELLED, S.APPROVED),
        (S.SUBMITTED, S.CANCELLED),  # money may be moving: finance can't deny it now
    ],
)
def test_a_move_the_lifecycle_lacks_is_refused_and_changes_nothing(start, to):
    refund = refund_in(start)
    with pytest.raises(IllegalRefundTransition):
        move(refund, to)
    assert refund.status == start.value


@pytest.mark.parametrize(
    ("start", "to"),
    [(S.PROPOSED, S.APPROVED), (S.FAILED, S.CANCELLED), (S.SUBMITTED, S.SUCCEEDED),
     (S.SUCCEEDED, S.FAILED), (S.CANCELLED, S.SUCCEEDED)],
)  # fmt: skip
def test_the_lifecycle_and_the_providers_word_move_a_refund(start, to):
    refund = refund_in(start)
    move(refund, to)
    assert refund.status == to.value
