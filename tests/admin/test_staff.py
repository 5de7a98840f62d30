"""The admin's staff pages: list, add, change role, new password, unlock, deactivate and
reactivate, each through its form with CSRF and audited with the admin as the actor."""

from __future__ import annotations

import re

import pytest

from returns_portal.accounts import services
from returns_portal.accounts.models import Role
from tests.admin.conftest import PASSWORD, events

NEW_PASSWORD = "a long enough passphrase"


def actor_of(user) -> str:
    return f"user:{user.id} {user.email}"


def test_the_staff_list_shows_each_user_s_email_name_role_and_state(admin, make_user):
    make_user("wang@example.com", Role.WAREHOUSE, name="Wang Fang")
    services.deactivate_user("wang@example.com")
    for _ in range(5):
        with pytest.raises(services.LoginFailed):
            services.authenticate("fin@example.com", "wrong guess 1234", address="10.0.0.1")
    make_user("fin@example.com", Role.FINANCE)
    page = admin.client.get("/staff/admin/staff")
    assert page.status_code == 200
    row = re.search(r"wang@example\.com.*?</tr>", page.text, re.S).group(0)
    assert "Wang Fang" in row and "Warehouse" in row and "Deactivated" in row
    row = re.search(r"fin@example\.com.*?</tr>", page.text, re.S).group(0)
    assert "Finance" in row and "Locked" in row


def test_an_admin_adds_a_staff_user_who_can_then_sign_in(admin):
    answer = admin.submit("/staff/admin/staff", "/staff/admin/staff", {
        "email": "New.Person@Example.com", "name": "New Person", "role": "support",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert answer.status_code == 302
    user = services.get_user("new.person@example.com")
    assert user.role == "support" and user.name == "New Person" and user.active
    [event] = events("user.created")[-1:]
    assert event.actor == actor_of(admin.user)
    assert NEW_PASSWORD not in str(event.after)
    assert services.authenticate("new.person@example.com", NEW_PASSWORD) == user


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": "too short", "confirm": "too short"}, "password", "at least 12 characters"),
        ({"confirm": "something else entirely"}, "confirm", "The two passwords differ."),
        ({"email": "not-an-email"}, "email", "is not an email address"),
        ({"role": "owner"}, "role", "Not a valid choice"),
    ],
)
def test_a_new_user_is_refused_at_the_field_that_is_wrong(admin, data, field, message):
    answer = admin.submit("/staff/admin/staff", "/staff/admin/staff", {
        "email": "someone@example.com", "role": "support",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **data,
    })  # fmt: skip
    assert answer.status_code == 400
    assert re.search(
        rf'id="{field}"[^>]*aria-describedby="{field}-error"', answer.text
    ) or re.search(rf'aria-describedby="{field}-error"[^>]*id="{field}"', answer.text), answer.text
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', answer.text, re.S)
    assert error and message in error.group(1)
    assert services.find_user("someone@example.com") is None


def test_an_email_already_taken_is_refused_in_plain_words(admin, make_user):
    make_user("taken@example.com")
    answer = admin.submit("/staff/admin/staff", "/staff/admin/staff", {
        "email": "TAKEN@example.com", "role": "support",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert answer.status_code == 400
    assert "A staff user with email taken@example.com already exists." in answer.text


def test_a_form_without_its_csrf_token_changes_nothing(admin, make_user):
    user = make_user("wang@example.com")
    answer = admin.client.post(f"/staff/admin/staff/{user.id}/role", data={"role": "finance"})
    assert answer.status_code == 400
    assert "The page was open too long" in answer.text
    assert services.get_user("wang@example.com").role == "warehouse"


def test_an_admin_changes_a_role_and_the_change_is_audited(admin, make_user):
    user = make_user("wang@example.com")
    page = f"/staff/admin/staff/{user.id}"
    answer = admin.submit(page, f"{page}/role", {"role": "finance"})
    assert answer.status_code == 302
    assert services.get_user("wang@example.com").role == "finance"
    [event] = events("user.role_changed")
    assert event.actor == actor_of(admin.user)
    assert (event.before, event.after) == ({"role": "warehouse"}, {"role": "finance"})
    assert "role is now Finance" in admin.client.get(page).text


def test_the_last_admin_can_t_demote_themselves(admin):
    page = f"/staff/admin/staff/{admin.user.id}"
    answer = admin.submit(page, f"{page}/role", {"role": "support"})
    assert answer.status_code == 400
    assert "admin@example.com is the last active admin" in answer.text
    assert 'aria-describedby="role-error"' in answer.text
    assert services.get_user("admin@example.com").role == "admin"
    assert events("user.role_changed") == []


def test_the_last_admin_can_t_deactivate_themselves(admin):
    page = f"/staff/admin/staff/{admin.user.id}"
    answer = admin.submit(f"{page}/deactivate", f"{page}/deactivate", {"confirm": "yes"})
    assert answer.status_code == 302
    assert "is the last active admin" in admin.client.get(page).text
    assert services.get_user("admin@example.com").active
    assert events("user.deactivated") == []


def test_with_a_second_admin_an_admin_may_step_down(admin, make_user):
    make_user("second@example.com", Role.ADMIN)
    page = f"/staff/admin/staff/{admin.user.id}"
    assert admin.submit(page, f"{page}/role", {"role": "finance"}).status_code == 302
    assert services.get_user("admin@example.com").role == "finance"
    # No longer an admin: the admin's pages are refused from the next request on.
    assert admin.client.get("/staff/admin").status_code == 403


def test_a_deactivated_admin_is_not_counted_as_another_admin(admin, make_user):
    make_user("gone@example.com", Role.ADMIN)
    services.deactivate_user("gone@example.com")
    with pytest.raises(services.AccountError, match="last active admin"):
        services.change_role("admin@example.com", Role.SUPPORT)


def test_deactivating_asks_first_and_then_signs_the_user_out(admin, make_user, app):
    user = make_user("wang@example.com")
    page = f"/staff/admin/staff/{user.id}"
    confirm = admin.client.get(f"{page}/deactivate")
    assert confirm.status_code == 200
    assert "Deactivate wang@example.com?" in confirm.text
    assert services.get_user("wang@example.com").active  # asking changed nothing
    # A post without the confirmation shows the question again.
    again = admin.submit(f"{page}/deactivate", f"{page}/deactivate")
    assert again.status_code == 200 and "Deactivate wang@example.com?" in again.text
    assert services.get_user("wang@example.com").active

    answer = admin.submit(f"{page}/deactivate", f"{page}/deactivate", {"confirm": "yes"})
    assert answer.status_code == 302
    assert not services.get_user("wang@example.com").active
    [event] = events("user.deactivated")
    assert event.actor == actor_of(admin.user)
    with pytest.raises(services.LoginFailed):
        services.authenticate("wang@example.com", PASSWORD)

    answer = admin.submit(page, f"{page}/reactivate")
    assert answer.status_code == 302
    assert services.get_user("wang@example.com").active
    [event] = events("user.reactivated")
    assert event.actor == actor_of(admin.user)
    assert services.authenticate("wang@example.com", PASSWORD) == user


def test_reactivating_an_active_user_says_so(admin, make_user):
    user = make_user("wang@example.com")
    page = f"/staff/admin/staff/{user.id}"
    admin.submit(page, f"{page}/reactivate")
    assert "wang@example.com is already active." in admin.client.get(page).text
    assert events("user.reactivated") == []


def test_an_admin_unlocks_a_locked_out_user(admin, make_user):
    user = make_user("wang@example.com")
    for _ in range(5):
        with pytest.raises(services.LoginFailed):
            services.authenticate("wang@example.com", "wrong guess 1234", address="10.0.0.7")
    page = f"/staff/admin/staff/{user.id}"
    shown = admin.client.get(page).text
    assert "10.0.0.7" in shown and "Locked after failed sign-ins" in shown
    answer = admin.submit(page, f"{page}/unlock")
    assert answer.status_code == 302
    assert services.active_locks("wang@example.com") == []
    [event] = events("user.unlocked")
    assert event.actor == actor_of(admin.user)
    assert "wang@example.com can sign in again." in admin.client.get(page).text
    # Unlocking again: nothing to lift, said in plain words.
    admin.submit(page, f"{page}/unlock")
    assert "wang@example.com is not locked." in admin.client.get(page).text


def test_an_admin_sets_a_new_password_under_the_same_policy(admin, make_user):
    user = make_user("wang@example.com")
    page = f"/staff/admin/staff/{user.id}"
    short = admin.submit(page, f"{page}/password", {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "A password needs at least 12 characters." in short.text
    assert 'aria-describedby="password-error"' in short.text
    answer = admin.submit(
        page, f"{page}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert answer.status_code == 302
    [event] = events("user.password_set")
    assert event.actor == actor_of(admin.user)
    assert services.authenticate("wang@example.com", NEW_PASSWORD) == user


def test_an_unknown_user_s_page_is_not_found(admin):
    assert admin.client.get("/staff/admin/staff/999999").status_code == 404


def test_the_command_line_keeps_the_last_admin_too(cli, make_user):
    make_user("admin@example.com", Role.ADMIN)
    result = cli.invoke(args=["users", "deactivate", "admin@example.com"])
    assert result.exit_code == 1
    assert "admin@example.com is the last active admin" in result.output
