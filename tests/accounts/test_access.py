"""role_required and current_actor on a fresh app with a test-only blueprint."""

from __future__ import annotations

import pytest
from flask import Blueprint

from config import TestingConfig
from returns_portal import create_app
from returns_portal.accounts.access import current_actor, role_required, safe_next_url
from returns_portal.accounts.models import Role
from returns_portal.extensions import limiter
from tests.accounts.conftest import Staff

guarded = Blueprint("guarded", __name__)


@guarded.get("/warehouse-only")
@role_required(Role.WAREHOUSE)
def warehouse_only() -> str:
    return "scan station"


@guarded.get("/whoami")
@role_required(*Role)
def whoami() -> str:
    return current_actor()


@pytest.fixture(scope="module")
def guarded_app(database_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    app.register_blueprint(guarded)
    return app


@pytest.fixture
def visitor(guarded_app, session):
    limiter.reset()
    return Staff(guarded_app.test_client())


def test_an_anonymous_visitor_is_redirected_to_sign_in_with_next(visitor):
    response = visitor.client.get("/warehouse-only")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=%2Fwarehouse-only"


def test_the_wrong_role_gets_a_plain_words_403_page(visitor, make_user):
    make_user("finance@example.com", Role.FINANCE)
    visitor.sign_in("finance@example.com")
    response = visitor.client.get("/warehouse-only")
    assert response.status_code == 403
    assert "You can't open this page" in response.text
    assert "Warehouse, Admin" in response.text and "Finance" in response.text
    assert "Sign out" in response.text


def test_the_right_role_opens_the_page(visitor, make_user):
    make_user("warehouse@example.com", Role.WAREHOUSE)
    visitor.sign_in("warehouse@example.com")
    assert visitor.client.get("/warehouse-only").text == "scan station"


def test_admin_opens_every_page(visitor, make_user):
    make_user("admin@example.com", Role.ADMIN)
    visitor.sign_in("admin@example.com")
    assert visitor.client.get("/warehouse-only").status_code == 200


def test_the_role_is_checked_again_on_every_request(visitor, make_user, session):
    user = make_user("warehouse@example.com", Role.WAREHOUSE)
    visitor.sign_in("warehouse@example.com")
    assert visitor.client.get("/warehouse-only").status_code == 200
    user.role = Role.SUPPORT
    session.commit()
    assert visitor.client.get("/warehouse-only").status_code == 403


def test_the_current_actor_names_the_signed_in_user(visitor, make_user):
    user = make_user("warehouse@example.com", Role.WAREHOUSE)
    visitor.sign_in("warehouse@example.com")
    assert visitor.client.get("/whoami").text == f"user:{user.id} warehouse@example.com"


def test_outside_a_request_the_actor_is_the_cli(app):
    with app.app_context():
        assert current_actor() == "cli"


def test_role_required_needs_a_role():
    with pytest.raises(TypeError):
        role_required()


@pytest.mark.parametrize("target", ["/staff/", "/warehouse/scan?parcel=R-7K3M-Q9"])
def test_a_path_on_this_site_is_a_safe_next_page(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    ["", None, "//evil.example", "https://evil.example", "/\\evil.example", "/\n/evil.example",
     "staff/", "http:/evil.example"],
)  # fmt: skip
def test_anything_else_is_not_a_safe_next_page(target):
    assert safe_next_url(target) is None
