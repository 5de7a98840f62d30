"""Signing in: one answer for every wrong guess, a lock after five, and an audit of each."""

from __future__ import annotations

import pytest

from returns_portal.accounts import services
from returns_portal.accounts.services import AccountLocked, LoginFailed, authenticate
from returns_portal.types import utcnow
from tests.accounts.conftest import PASSWORD, events


def refusal(email: str, password: str, **kwargs) -> LoginFailed:
    with pytest.raises(LoginFailed) as info:
        authenticate(email, password, **kwargs)
    return info.value


def test_the_right_password_signs_in_and_is_audited(make_user):
    user = make_user()
    assert authenticate("Warehouse@Example.com", PASSWORD, actor="anonymous 10.0.0.7") == user
    [event] = events("user.login_succeeded")
    assert event.actor == f"user:{user.id} warehouse@example.com"
    assert event.after == {"from": "anonymous 10.0.0.7"}


def test_a_wrong_password_reads_the_same_as_an_unknown_email(make_user):
    make_user()
    wrong = refusal("warehouse@example.com", "not the password at all")
    unknown = refusal("nobody@example.com", PASSWORD)
    assert type(wrong) is type(unknown) is LoginFailed
    assert str(wrong) == str(unknown) == "Wrong email or password."


def test_an_unknown_email_costs_the_same_password_hash_work(make_user, monkeypatch):
    make_user()
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p)
    )
    refusal("nobody@example.com", PASSWORD)
    refusal("warehouse@example.com", "not the password at all")
    assert checked[0] == checked[1] == "scrypt:32768:8:1"


def test_failed_sign_ins_are_audited_without_the_password(make_user):
    make_user()
    refusal("warehouse@example.com", "not the password at all")
    refusal("nobody@example.com", "another wrong guess")
    refusal("my secret passphrase", "oops, typed in the wrong box")
    failed = events("user.login_failed")
    assert [e.after["reason"] for e in failed] == ["wrong_password", "unknown", "unknown"]
    assert failed[1].after["email"] == "nobody@example.com"
    assert failed[2].after["email"] == "(not an email)"  # it may have been a password
    for event in failed:
        assert "not the password" not in str(event.after) and "secret" not in str(event.after)


def test_five_failures_lock_the_account_even_against_the_right_password(make_user):
    user = make_user()
    now = utcnow()
    for _ in range(4):
        assert type(refusal("warehouse@example.com", "wrong guess 1234", now=now)) is LoginFailed
    fifth = refusal("warehouse@example.com", "wrong guess 1234", now=now)
    assert isinstance(fifth, AccountLocked)
    assert fifth.until == now + services.LOCKOUT
    sixth = refusal("warehouse@example.com", PASSWORD, now=now + services.LOCKOUT / 2)
    assert isinstance(sixth, AccountLocked) and "locked" in str(sixth).lower()
    [lock] = services.active_locks(user.email, now=now)
    assert lock.locked_until == now + services.LOCKOUT


def test_the_lock_ends_after_15_minutes_and_a_success_resets_the_count(make_user):
    user = make_user()
    now = utcnow()
    for _ in range(5):
        refusal("warehouse@example.com", "wrong guess 1234", now=now)
    later = now + services.LOCKOUT
    assert authenticate("warehouse@example.com", PASSWORD, now=later) == user
    assert services.active_locks(user.email, now=later) == []
    assert type(refusal("warehouse@example.com", "wrong guess 1234", now=later)) is LoginFailed


def test_failures_must_be_consecutive_to_lock(make_user):
    make_user()
    for _ in range(4):
        refusal("warehouse@example.com", "wrong guess 1234")
    authenticate("warehouse@example.com", PASSWORD)
    assert type(refusal("warehouse@example.com", "wrong guess 1234")) is LoginFailed


def test_a_lockout_is_audited(make_user):
    user = make_user()
    now = utcnow()
    for _ in range(5):
        refusal("warehouse@example.com", "wrong guess 1234", now=now, actor="anonymous 10.0.0.9")
    [event] = events("user.locked")
    assert event.entity_id == str(user.id) and event.actor == "anonymous 10.0.0.9"
    assert event.after == {"failed_logins": 5, "until": (now + services.LOCKOUT).isoformat()}
    refusal("warehouse@example.com", PASSWORD, now=now)
    assert events("user.login_failed")[-1].after == {"reason": "locked"}


def test_a_deactivated_user_is_refused_with_the_same_message(make_user):
    make_user()
    services.deactivate_user("warehouse@example.com")
    refused = refusal("warehouse@example.com", PASSWORD)
    assert type(refused) is LoginFailed and str(refused) == "Wrong email or password."
    assert events("user.login_failed")[-1].after == {"reason": "inactive"}
