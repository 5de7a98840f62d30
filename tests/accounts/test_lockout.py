"""Lockout is per account and address: strangers cannot lock the owner out, and an email
without an account is answered, and locked, exactly like one with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from returns_portal.accounts import services
from returns_portal.accounts.services import AccountLocked, LoginFailed, authenticate
from returns_portal.types import utcnow
from tests.accounts.conftest import PASSWORD, csrf, events

OWNER = "10.0.0.100"
STRANGERS = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5")
WRONG = "wrong guess 1234"


def refusal(email: str, password: str, address: str, **kwargs) -> LoginFailed:
    with pytest.raises(LoginFailed) as info:
        authenticate(email, password, address=address, **kwargs)
    return info.value


def answer(email: str, password: str, address: str, **kwargs) -> tuple[str, str]:
    """What the caller learns from one attempt: the kind of refusal and its message."""
    try:
        authenticate(email, password, address=address, **kwargs)
    except AccountLocked as exc:
        return "locked", str(exc)
    except LoginFailed as exc:
        return "refused", str(exc)
    return "signed in", ""


def test_failures_from_other_addresses_do_not_lock_the_owner_out_at_theirs(make_user):
    user = make_user()
    now = utcnow()
    for address in STRANGERS:  # five failures, as many as lock an address: one from each
        assert type(refusal("warehouse@example.com", WRONG, address, now=now)) is LoginFailed
    assert authenticate("warehouse@example.com", PASSWORD, address=OWNER, now=now) == user


def test_strangers_locked_out_at_their_addresses_leave_the_owner_signing_in(make_user):
    user = make_user()
    now = utcnow()
    for address in STRANGERS:
        for _ in range(services.MAX_FAILED_LOGINS):
            refusal("warehouse@example.com", WRONG, address, now=now)
        assert isinstance(
            refusal("warehouse@example.com", PASSWORD, address, now=now), AccountLocked
        )
    assert len(events("user.locked")) == len(STRANGERS)
    assert authenticate("warehouse@example.com", PASSWORD, address=OWNER, now=now) == user


def test_five_failures_from_one_address_lock_the_account_there(make_user):
    make_user()
    now = utcnow()
    for _ in range(services.MAX_FAILED_LOGINS - 1):
        assert type(refusal("warehouse@example.com", WRONG, STRANGERS[0], now=now)) is LoginFailed
    fifth = refusal("warehouse@example.com", WRONG, STRANGERS[0], now=now)
    assert isinstance(fifth, AccountLocked) and fifth.until == now + services.LOCKOUT
    later = now + services.LOCKOUT / 2
    again = refusal("warehouse@example.com", PASSWORD, STRANGERS[0], now=later)
    assert isinstance(again, AccountLocked) and again.until == now + services.LOCKOUT


def test_the_right_password_signs_in_once_the_lock_has_run_out(make_user):
    user = make_user()
    now = utcnow()
    for _ in range(services.MAX_FAILED_LOGINS):
        refusal("warehouse@example.com", WRONG, OWNER, now=now)
    just_before = now + services.LOCKOUT - timedelta(seconds=1)
    assert isinstance(
        refusal("warehouse@example.com", PASSWORD, OWNER, now=just_before), AccountLocked
    )
    assert (
        authenticate("warehouse@example.com", PASSWORD, address=OWNER, now=now + services.LOCKOUT)
        == user
    )
    # A fresh start: one more mistake is just a wrong password again.
    after = now + services.LOCKOUT
    assert type(refusal("warehouse@example.com", WRONG, OWNER, now=after)) is LoginFailed


def test_failures_older_than_a_day_are_forgotten(make_user, session):
    from sqlalchemy import func, select

    from returns_portal.accounts.models import LoginThrottle

    make_user()
    now = utcnow()
    for address in (OWNER, *STRANGERS):
        for _ in range(services.MAX_FAILED_LOGINS - 1):
            refusal("warehouse@example.com", WRONG, address, now=now)
    next_day = now + services.FORGET_FAILURES + timedelta(seconds=1)
    for _ in range(services.MAX_FAILED_LOGINS - 1):
        assert type(refusal("warehouse@example.com", WRONG, OWNER, now=next_day)) is LoginFailed
    assert isinstance(refusal("warehouse@example.com", WRONG, OWNER, now=next_day), AccountLocked)
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 1  # the rest went


def test_an_unknown_email_is_answered_exactly_like_a_real_account_at_every_step(make_user):
    make_user()
    now = utcnow()
    steps = [WRONG] * services.MAX_FAILED_LOGINS + [PASSWORD]
    real = [answer("warehouse@example.com", p, STRANGERS[0], now=now) for p in steps]
    unknown = [answer("nobody@example.com", p, STRANGERS[1], now=now) for p in steps]
    assert real == unknown
    assert [kind for kind, _message in real] == ["refused"] * 4 + ["locked", "locked"]
    # ... and, like a real account, it is locked only at the address that failed.
    assert answer("nobody@example.com", WRONG, OWNER, now=now)[0] == "refused"


def test_a_deactivated_account_locks_like_any_other(make_user):
    make_user()
    services.deactivate_user("warehouse@example.com")
    now = utcnow()
    steps = [PASSWORD] * services.MAX_FAILED_LOGINS + [PASSWORD]
    inactive = [answer("warehouse@example.com", p, OWNER, now=now) for p in steps]
    unknown = [answer("nobody@example.com", p, OWNER, now=now) for p in steps]
    assert inactive == unknown


def test_a_success_forgets_the_failures_at_that_address_only(make_user):
    make_user()
    now = utcnow()
    for _ in range(services.MAX_FAILED_LOGINS - 1):
        refusal("warehouse@example.com", WRONG, OWNER, now=now)
        refusal("warehouse@example.com", WRONG, STRANGERS[0], now=now)
    authenticate("warehouse@example.com", PASSWORD, address=OWNER, now=now)
    assert type(refusal("warehouse@example.com", WRONG, OWNER, now=now)) is LoginFailed
    assert isinstance(refusal("warehouse@example.com", WRONG, STRANGERS[0], now=now), AccountLocked)


def test_the_email_is_normalised_so_case_does_not_buy_more_guesses(make_user):
    make_user()
    now = utcnow()
    for email in ("warehouse@example.com", "Warehouse@Example.com", " WAREHOUSE@example.com"):
        refusal(email, WRONG, OWNER, now=now)
    refusal("warehouse@EXAMPLE.com", WRONG, OWNER, now=now)
    assert isinstance(refusal("WareHouse@example.com", WRONG, OWNER, now=now), AccountLocked)


def test_an_ipv6_client_counts_by_its_64_block(make_user):
    make_user()
    now = utcnow()
    for host in range(1, services.MAX_FAILED_LOGINS):
        refusal("warehouse@example.com", WRONG, f"2001:db8:1:2::{host}", now=now)
    fifth = refusal("warehouse@example.com", WRONG, "2001:db8:1:2:ffff::9", now=now)
    assert isinstance(fifth, AccountLocked)
    assert services.client_network("2001:db8:1:2:abcd::1") == "2001:db8:1:2::/64"
    assert services.client_network("::ffff:10.0.0.1") == "10.0.0.1"
    assert type(refusal("warehouse@example.com", WRONG, "2001:db8:1:3::1", now=now)) is LoginFailed


def test_many_failing_addresses_make_one_failure_lock_the_next_but_never_the_owner(make_user):
    user = make_user()
    now = utcnow()
    crowd = [f"10.1.0.{i}" for i in range(services.ALARM_ADDRESSES)]
    for address in crowd[:-1]:
        assert type(refusal("warehouse@example.com", WRONG, address, now=now)) is LoginFailed
        assert type(refusal("nobody@example.com", WRONG, address, now=now)) is LoginFailed
    # From the ALARM_ADDRESSES-th address on, one failure locks that address …
    assert answer("warehouse@example.com", WRONG, crowd[-1], now=now)[0] == "locked"
    assert answer("nobody@example.com", WRONG, crowd[-1], now=now)[0] == "locked"
    # … but the right password still signs the owner in at an address that has not failed.
    assert authenticate("warehouse@example.com", PASSWORD, address=OWNER, now=now) == user
    # An hour later the crowd is forgotten: five tries per address again.
    later = now + services.ALARM_WINDOW + services.LOCKOUT
    assert answer("warehouse@example.com", WRONG, "10.2.0.1", now=later)[0] == "refused"


def test_unlocking_lifts_the_lock_at_every_address(make_user):
    user = make_user()
    now = utcnow()
    for address in STRANGERS[:2]:
        for _ in range(services.MAX_FAILED_LOGINS):
            refusal("warehouse@example.com", WRONG, address, now=now)
    services.unlock_user("warehouse@example.com", now=now)
    [event] = events("user.unlocked")
    assert event.before == {
        "failed_logins": 2 * services.MAX_FAILED_LOGINS,
        "locked_at": list(STRANGERS[:2]),
    }
    for address in STRANGERS[:2]:
        assert authenticate("warehouse@example.com", PASSWORD, address=address, now=now) == user


def test_a_lock_is_listed_with_how_many_addresses_it_holds(make_user):
    make_user()
    now = utcnow()
    assert services.active_locks("warehouse@example.com", now=now) == []
    for _ in range(services.MAX_FAILED_LOGINS):
        refusal("warehouse@example.com", WRONG, STRANGERS[0], now=now)
    [lock] = services.active_locks("warehouse@example.com", now=now)
    assert lock.address == STRANGERS[0] and lock.locked_until == now + services.LOCKOUT
    assert services.active_locks("warehouse@example.com", now=now + services.LOCKOUT) == []


def test_an_email_that_may_be_a_password_is_not_stored_in_the_clear(session):
    from sqlalchemy import select

    from returns_portal.accounts.models import LoginThrottle

    refusal("my secret passphrase", "typed in the wrong box", OWNER)
    [row] = session.scalars(select(LoginThrottle))
    assert "secret" not in row.email_key and len(row.email_key) == 64


# The sign-in page, driven like a browser from one address or another.


def sign_in_from(staff, address: str, email: str, password: str):
    environ = {"REMOTE_ADDR": address}
    page = staff.client.get("/staff/login", environ_base=environ)
    return staff.client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf(page.text)},
        environ_base=environ,
    )


def page_without(response, email: str) -> str:
    return response.text.replace(csrf(response.text), "").replace(email, "")


def test_the_sign_in_page_answers_an_unknown_email_exactly_like_a_real_one(staff, make_user):
    make_user()
    steps = [WRONG] * services.MAX_FAILED_LOGINS + [PASSWORD]
    real = [sign_in_from(staff, STRANGERS[0], "warehouse@example.com", p) for p in steps]
    unknown = [sign_in_from(staff, STRANGERS[1], "nobody@example.com", p) for p in steps]
    assert [r.status_code for r in real] == [r.status_code for r in unknown] == [200] * 6
    for shown_real, shown_unknown in zip(real, unknown, strict=True):
        assert page_without(shown_real, "warehouse@example.com") == page_without(
            shown_unknown, "nobody@example.com"
        )
    assert "Wrong email or password." in real[0].text
    assert "This account is locked" in real[-1].text and "15 minutes" in real[-1].text


def test_the_sign_in_page_locks_only_the_address_that_failed(staff, make_user):
    make_user()
    for address in STRANGERS:
        response = sign_in_from(staff, address, "warehouse@example.com", WRONG)
        assert "Wrong email or password." in response.text
    for _ in range(services.MAX_FAILED_LOGINS):
        sign_in_from(staff, STRANGERS[0], "warehouse@example.com", WRONG)
    locked = sign_in_from(staff, STRANGERS[0], "warehouse@example.com", PASSWORD)
    assert "This account is locked" in locked.text
    owner = sign_in_from(staff, OWNER, "warehouse@example.com", PASSWORD)
    assert owner.status_code == 302 and owner.headers["Location"] == "/staff/"
    [event] = events("user.locked")
    assert event.actor == f"anonymous {STRANGERS[0]}"
