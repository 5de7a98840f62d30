"""`flask users …`: create, list, unlock, deactivate and set-password, scripted via stdin."""

from __future__ import annotations

import pytest

from returns_portal.accounts.services import LoginFailed, authenticate, find_user
from tests.accounts.conftest import PASSWORD


def create(cli, email="warehouse@example.com", role="warehouse", password=PASSWORD, *extra):
    return cli.invoke(
        args=["users", "create", email, "--role", role, "--password-stdin", *extra],
        input=password + "\n",
    )


def test_creating_a_user_from_stdin_prints_who_was_created(cli):
    result = create(cli, "Warehouse@Example.com", "warehouse", PASSWORD, "--name", "Wang Fang")
    assert result.exit_code == 0, result.output
    assert (
        "Created staff user" in result.output
        and "warehouse@example.com (warehouse)" in result.output
    )
    assert PASSWORD not in result.output
    user = find_user("warehouse@example.com")
    assert user is not None and user.name == "Wang Fang"
    assert authenticate("warehouse@example.com", PASSWORD) == user


def test_creating_a_user_asks_for_the_password_twice_without_echo(cli):
    result = cli.invoke(
        args=["users", "create", "admin@example.com", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output


def test_a_bad_role_is_a_clear_error_before_the_password_is_asked(cli):
    result = cli.invoke(args=["users", "create", "a@example.com", "--role", "owner"])
    assert result.exit_code == 1
    assert "Unknown role 'owner'" in result.output and "Password" not in result.output


def test_a_duplicate_email_is_a_clear_error(cli):
    create(cli)
    result = create(cli, "WAREHOUSE@example.com")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_a_short_password_is_a_clear_error(cli):
    result = create(cli, password="too short")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert find_user("warehouse@example.com") is None


def test_listing_shows_role_and_state_but_no_secrets(cli):
    assert "flask users create" in cli.invoke(args=["users", "list"]).output
    create(cli)
    create(cli, "finance@example.com", "finance")
    cli.invoke(args=["users", "deactivate", "finance@example.com"])
    output = cli.invoke(args=["users", "list"]).output
    assert "warehouse@example.com  warehouse  active" in output
    assert "finance@example.com  finance  deactivated" in output
    assert "scrypt" not in output and PASSWORD not in output


def test_a_locked_user_is_listed_as_locked_and_can_be_unlocked(cli):
    create(cli)
    user = find_user("warehouse@example.com")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            authenticate("warehouse@example.com", "wrong guess 1234", address="10.0.0.9")
    assert "locked until" in cli.invoke(args=["users", "list"]).output
    assert "at 1 address" in cli.invoke(args=["users", "list"]).output
    result = cli.invoke(args=["users", "unlock", "warehouse@example.com"])
    assert result.exit_code == 0 and "Unlocked warehouse@example.com." in result.output
    assert authenticate("warehouse@example.com", PASSWORD) == user


def test_unlocking_a_user_who_is_not_locked_says_so(cli):
    create(cli)
    result = cli.invoke(args=["users", "unlock", "warehouse@example.com"])
    assert result.exit_code == 1 and "is not locked" in result.output


def test_deactivating_twice_and_unknown_users_are_clear_errors(cli):
    create(cli)
    assert cli.invoke(args=["users", "deactivate", "warehouse@example.com"]).exit_code == 0
    again = cli.invoke(args=["users", "deactivate", "warehouse@example.com"])
    assert again.exit_code == 1 and "already deactivated" in again.output
    unknown = cli.invoke(args=["users", "deactivate", "nobody@example.com"])
    assert (
        unknown.exit_code == 1 and "No staff user with email nobody@example.com" in unknown.output
    )


def test_setting_a_password_from_stdin_replaces_the_old_one(cli):
    create(cli)
    result = cli.invoke(
        args=["users", "set-password", "warehouse@example.com", "--password-stdin"],
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0 and "Set a new password" in result.output
    assert authenticate("warehouse@example.com", "a brand new passphrase")


def test_setting_a_password_for_an_unknown_user_fails_before_asking(cli):
    result = cli.invoke(args=["users", "set-password", "nobody@example.com"])
    assert result.exit_code == 1 and "Password" not in result.output
