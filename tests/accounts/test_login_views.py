"""The staff sign-in page, sign-out and the staff home, driven like a browser with CSRF on."""

from __future__ import annotations

import pytest

from returns_portal.accounts import services
from returns_portal.accounts.models import Role
from tests.accounts.conftest import PASSWORD, csrf, events


def test_signing_in_goes_to_the_staff_home_with_the_user_and_role(staff, make_user):
    make_user("warehouse@example.com", Role.WAREHOUSE, name="Wang Fang")
    response = staff.sign_in("warehouse@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    home = staff.client.get("/staff/")
    assert home.status_code == 200
    assert "Wang Fang" in home.text and "Warehouse" in home.text
    assert 'action="/staff/logout"' in home.text
    assert home.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.WAREHOUSE, ["/warehouse/scan"], ["/finance/refunds"]),
        (Role.FINANCE, ["/finance/refunds"], ["/warehouse/scan"]),
        (Role.ADMIN, ["/warehouse/scan", "/finance/refunds"], []),
        (Role.SUPPORT, [], ["/warehouse/scan", "/finance/refunds"]),
    ],
)
def test_the_staff_home_links_only_the_areas_of_the_role(staff, make_user, role, shown, hidden):
    make_user("someone@example.com", role)
    staff.sign_in("someone@example.com")
    home = staff.client.get("/staff/").text
    assert all(f'href="{path}"' in home for path in shown)
    assert not any(f'href="{path}"' in home for path in hidden)


def test_a_wrong_password_shows_the_same_message_as_an_unknown_email(staff, make_user):
    make_user()
    wrong = staff.sign_in("warehouse@example.com", "not the password at all")
    unknown = staff.sign_in("nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong email or password." in wrong.text
    # Apart from the email typed in and the CSRF token, the two pages are the same.
    same_wrong = wrong.text.replace(csrf(wrong.text), "").replace("warehouse@example.com", "")
    same_unknown = unknown.text.replace(csrf(unknown.text), "").replace("nobody@example.com", "")
    assert same_wrong == same_unknown
    assert staff.client.get("/staff/").status_code == 302  # still signed out


def test_a_locked_account_says_so_and_when_to_try_again(staff, make_user):
    make_user()
    for _ in range(5):
        staff.sign_in("warehouse@example.com", "not the password at all")
    response = staff.sign_in("warehouse@example.com", PASSWORD)
    assert "This account is locked" in response.text and "15 minutes" in response.text
    assert staff.client.get("/staff/").status_code == 302


def test_a_deactivated_user_cannot_sign_in(staff, make_user):
    make_user()
    services.deactivate_user("warehouse@example.com")
    response = staff.sign_in("warehouse@example.com")
    assert response.status_code == 200 and "Wrong email or password." in response.text


def test_a_deactivated_users_open_session_ends_on_the_next_request(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com")
    services.deactivate_user("warehouse@example.com")
    assert staff.client.get("/staff/").status_code == 302


def test_sign_in_attempts_are_audited_with_where_they_came_from(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com", "not the password at all")
    [event] = events("user.login_failed")
    assert event.actor == "anonymous 127.0.0.1"


def test_signing_out_needs_a_post(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com")
    assert staff.client.get("/staff/logout").status_code == 405
    assert staff.client.get("/staff/").status_code == 200


def test_signing_out_needs_the_csrf_token(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com")
    refused = staff.client.post("/staff/logout")
    assert refused.status_code == 400
    assert staff.client.get("/staff/").status_code == 200


def test_signing_out_with_the_token_ends_the_session(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com")
    response = staff.sign_out()
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert staff.client.get("/staff/").status_code == 302


def test_the_sign_in_form_needs_the_csrf_token(staff, make_user):
    make_user()
    response = staff.client.post(
        "/staff/login", data={"email": "warehouse@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert staff.client.get("/staff/").status_code == 302


def test_an_anonymous_visitor_is_sent_to_sign_in_and_brought_back(staff, make_user):
    make_user()
    response = staff.client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=%2Fstaff%2F"
    page = staff.client.get(response.headers["Location"])
    assert "Please sign in to open that page." in page.text
    signed_in = staff.sign_in("warehouse@example.com", next="/staff/")
    assert signed_in.headers["Location"] == "/staff/"


def test_a_local_next_page_is_followed_after_signing_in(staff, make_user):
    make_user()
    response = staff.sign_in("warehouse@example.com", next="/warehouse/scan?parcel=1")
    assert response.headers["Location"] == "/warehouse/scan?parcel=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/staff/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_a_next_page_off_this_site_is_ignored(staff, make_user, target):
    make_user()
    response = staff.sign_in("warehouse@example.com", next=target)
    assert response.headers["Location"] == "/staff/"


def test_a_signed_in_user_visiting_the_sign_in_page_goes_on(staff, make_user):
    make_user()
    staff.sign_in("warehouse@example.com")
    assert staff.client.get("/staff/login?next=//evil.example").headers["Location"] == "/staff/"


def test_sign_in_attempts_are_limited_to_10_a_minute(staff, session):
    for _ in range(10):
        assert staff.sign_in("nobody@example.com", "not the password at all").status_code == 200
    response = staff.sign_in("nobody@example.com", "not the password at all")
    assert response.status_code == 429
    assert "Too many tries" in response.text
    assert staff.client.get("/staff/login").status_code == 200  # the form itself still opens
