"""Fuzz the admin's forms and the audit log's filter: whatever is typed, the page answers 2xx,
3xx or 4xx, never a server error."""

from __future__ import annotations

from hypothesis import given

from returns_portal.accounts.services import create_user
from returns_portal.accounts.tokens import create_api_token
from returns_portal.extensions import limiter
from tests.fuzz.conftest import FUZZ, fresh_g
from tests.fuzz.test_form_fuzz import PASSWORD, form, fuzz_forms, sign_in

AUDIT_FILTER = ["entity_type", "entity_id", "actor", "action", "since", "until", "before"]


def test_no_admin_form_answers_a_server_error(client, session):
    limiter.reset()
    sign_in(client, "admin")
    other = create_user("other@example.com", PASSWORD, "warehouse")
    _raw, token = create_api_token("Feed")
    staff = f"/staff/admin/staff/{other.id}"
    fuzz_forms(
        client,
        [
            ("POST", "/staff/admin/staff", ["email", "name", "role", "password", "confirm"]),
            ("POST", f"{staff}/role", ["role"]),
            ("POST", f"{staff}/password", ["password", "confirm"]),
            ("POST", f"{staff}/unlock", ["x"]),
            ("POST", f"{staff}/deactivate", ["confirm"]),
            ("POST", f"{staff}/reactivate", ["x"]),
            ("POST", "/staff/admin/tokens", ["name"]),
            ("POST", f"/staff/admin/tokens/{token.id}/revoke", ["confirm"]),
            (
                "POST",
                "/staff/admin/store",
                ["currency", "name", "line1", "line2", "city", "postal_code", "country", "phone"],
            ),
            ("GET", "/staff/audit", AUDIT_FILTER),
            ("GET", "/staff/audit.csv", AUDIT_FILTER),
        ],
    )


def test_no_audit_export_fails_while_it_streams(client, session):
    limiter.reset()
    sign_in(client, "admin")

    @FUZZ
    @given(data=form(AUDIT_FILTER))
    def export(data):
        fresh_g()
        answer = client.get("/staff/audit.csv", query_string=data)
        assert answer.status_code < 500, data
        answer.get_data()  # the rows are written as the body is read

    export()
