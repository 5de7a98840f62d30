"""The policy key `refund_at_first_scan` (the app pays it: tests/receiving/test_first_scan.py)."""

from __future__ import annotations

import pytest

from returns_portal.policy import PolicyInputError, load_policy


def test_off_by_default_and_kept_in_the_canonical_document():
    assert load_policy({}).refund_at_first_scan_below is None
    assert load_policy({}).document["refund_at_first_scan"] == {"below": None}
    rules = load_policy({"refund_at_first_scan": {"below": 20000}})
    assert rules.refund_at_first_scan_below == 20000
    assert rules.document["refund_at_first_scan"] == {"below": 20000}


@pytest.mark.parametrize(
    ("section", "where"),
    [({"below": -5}, "refund_at_first_scan.below"), ({"below": "lots"}, "refund_at_first_scan.below"),
     ({"above": 1}, "refund_at_first_scan.above")],
)  # fmt: skip
def test_bad_values_are_refused_with_where_they_are(section, where):
    with pytest.raises(PolicyInputError) as refused:
        load_policy({"refund_at_first_scan": section})
    assert where in str(refused.value)
