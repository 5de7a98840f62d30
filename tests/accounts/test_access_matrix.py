"""Every staff route × every role × anonymous: each route declares its roles, and the server
refuses everyone else (sign-in for a visitor, a 403 page for a signed-in user without the role).

The routes are read from the app itself, so a new staff page is covered the day it is added,
and one added without a role check fails here."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from config import TestingConfig
from returns_portal import create_app
from returns_portal.accounts.models import Role
from returns_portal.extensions import limiter
from tests.accounts.conftest import Staff

# Staff areas: every route under these needs a role, except signing in and out.
STAFF_PREFIXES = ("/staff", "/warehouse", "/finance")
OPEN = {"accounts.login", "accounts.logout"}


@pytest.fixture(scope="module")
def matrix_app(database_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = False  # the role check is what is tried here, for POSTs too

    return create_app(Config)


def concrete(app, rule) -> str:
    """The rule's path with a made-up value for each part its converter accepts."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "X"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def staff_routes(app) -> list[tuple[str, str, str, tuple[Role, ...]]]:
    """(endpoint, a concrete path, method, roles) for every staff route of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(STAFF_PREFIXES) or rule.endpoint in OPEN:
            continue
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        path = concrete(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, path, method, roles))
    return found


def test_every_staff_route_declares_who_may_open_it(matrix_app):
    routes = staff_routes(matrix_app)
    assert len(routes) > 20  # the scan station, finance, the desk, the admin's pages…
    unguarded = sorted({endpoint for endpoint, _, _, roles in routes if not roles})
    assert unguarded == [], f"staff routes without role_required: {unguarded}"


@pytest.fixture
def people(matrix_app, session, make_user):
    limiter.reset()
    for role in Role:
        make_user(f"{role.value}@example.com", role)
    return matrix_app


def call(client, method: str, path: str):
    return client.open(path, method=method, data={}, follow_redirects=False)


def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_staff_route(people):
    client = people.test_client()
    for endpoint, path, method, _ in staff_routes(people):
        answer = call(client, method, path)
        assert answer.status_code == 302, (endpoint, method, answer.status_code)
        assert answer.headers["Location"].startswith("/staff/login"), (endpoint, method)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_its_routes_and_is_refused_the_others(people, role):
    staff = Staff(people.test_client())
    staff.sign_in(f"{role.value}@example.com")
    for endpoint, path, method, roles in staff_routes(people):
        allowed = role == Role.ADMIN or role in (roles or ())
        answer = call(staff.client, method, path)
        if allowed:
            # Past the role check: the page, a redirect, or "no such record" for the made-up
            # id — never the refusal page nor a sign-in redirect.
            assert answer.status_code != 403, (endpoint, method)
            location = answer.headers.get("Location", "")
            assert not location.startswith("/staff/login"), (endpoint, method)
            assert answer.status_code < 500, (endpoint, method, answer.status_code)
        else:
            assert answer.status_code == 403, (endpoint, method, answer.status_code)
            assert "You can't open this page" in answer.text
