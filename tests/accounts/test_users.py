"""Creating and managing staff users through the services."""

from __future__ import annotations

import pytest

from returns_portal.accounts import services
from returns_portal.accounts.models import Role
from tests.accounts.conftest import PASSWORD, events


def test_a_created_user_stores_a_scrypt_hash_and_never_the_password(make_user):
    user = make_user("  Warehouse@Example.COM ", Role.WAREHOUSE, name="Wang Fang")
    assert user.email == "warehouse@example.com"
    assert user.role == "warehouse" and user.active
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    [event] = events("user.created")
    assert event.after == {
        "email": "warehouse@example.com",
        "role": "warehouse",
        "name": "Wang Fang",
    }
    assert PASSWORD not in str(event.after)


def test_a_role_can_be_given_by_its_name(make_user):
    assert make_user(role="finance").role == Role.FINANCE


def test_an_email_already_taken_in_any_case_is_refused(make_user):
    make_user("warehouse@example.com")
    with pytest.raises(services.AccountError, match="already exists"):
        make_user("WAREHOUSE@example.com")


def test_a_password_shorter_than_12_characters_is_refused(make_user):
    with pytest.raises(services.AccountError, match="at least 12 characters"):
        make_user(password="short-pass1")
    assert services.list_users() == []


def test_an_unknown_role_is_refused_naming_the_roles_there_are(make_user):
    with pytest.raises(services.AccountError, match="support, warehouse, finance, admin"):
        make_user(role="owner")


def test_something_that_is_not_an_email_is_refused(make_user):
    with pytest.raises(services.AccountError, match="not an email address"):
        make_user("warehouse")


def test_a_new_password_replaces_the_old_one_and_is_audited(make_user):
    make_user()
    services.set_password("Warehouse@example.com", "a brand new passphrase")
    with pytest.raises(services.LoginFailed):
        services.authenticate("warehouse@example.com", PASSWORD)
    assert services.authenticate("warehouse@example.com", "a brand new passphrase")
    [event] = events("user.password_set")
    assert event.after is None and event.before is None


def test_a_new_password_must_be_long_enough_too(make_user):
    make_user()
    with pytest.raises(services.AccountError, match="at least 12 characters"):
        services.set_password("warehouse@example.com", "short")


def test_changing_an_unknown_user_is_a_clear_error(session):
    with pytest.raises(
        services.AccountError, match=r"No staff user with email nobody@example\.com"
    ):
        services.deactivate_user("nobody@example.com")


def test_a_deactivated_user_is_audited_and_cannot_be_deactivated_twice(make_user):
    make_user()
    user = services.deactivate_user("warehouse@example.com", actor="user:1 admin@example.com")
    assert not user.active
    [event] = events("user.deactivated")
    assert event.actor == "user:1 admin@example.com"
    with pytest.raises(services.AccountError, match="already deactivated"):
        services.deactivate_user("warehouse@example.com")


def test_unlocking_lifts_the_lock_and_forgets_the_failures(make_user):
    user = make_user()
    for _ in range(5):
        with pytest.raises(services.LoginFailed):
            services.authenticate("warehouse@example.com", "wrong guess 1234")
    user = services.unlock_user("warehouse@example.com")
    assert services.active_locks("warehouse@example.com") == []
    [event] = events("user.unlocked")
    assert event.before is not None and event.before["failed_logins"] == 5
    assert services.authenticate("warehouse@example.com", PASSWORD) == user


def test_unlocking_a_user_who_is_not_locked_is_a_clear_error(make_user):
    make_user()
    with pytest.raises(services.AccountError, match="is not locked"):
        services.unlock_user("warehouse@example.com")


def test_users_are_listed_by_email(make_user):
    make_user("zhou@example.com", Role.FINANCE)
    make_user("an@example.com", Role.ADMIN)
    assert [u.email for u in services.list_users()] == ["an@example.com", "zhou@example.com"]
