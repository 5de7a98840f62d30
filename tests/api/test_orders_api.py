from __future__ import annotations

from sqlalchemy import func, select

from returns_portal.accounts.tokens import revoke_api_token
from returns_portal.extensions import db
from returns_portal.orders.models import Order
from tests.builders import make_order


def test_posting_an_order_creates_it_and_returns_201(client, auth):
    response = client.post("/api/v1/orders", json=make_order(), headers=auth)
    assert response.status_code == 201, response.json
    assert response.json["number"] == "1001"
    assert response.json["lines"][0]["line_id"] == "L1"


def test_posting_the_same_order_again_is_an_idempotent_200(client, auth):
    client.post("/api/v1/orders", json=make_order(), headers=auth)
    response = client.post("/api/v1/orders", json=make_order(), headers=auth)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_bad_order_gets_422_with_per_field_errors_and_nothing_saved(client, auth):
    order = make_order()
    order["lines"][0]["quantity"] = -1
    order["email"] = "nope"
    response = client.post("/api/v1/orders", json=order, headers=auth)
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"lines.0.quantity", "email"}
    assert "nothing was saved" in response.json["error"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_body_that_is_not_json_gets_400(client, auth):
    response = client.post("/api/v1/orders", data="number=1", headers=auth)
    assert response.status_code == 400
    assert "JSON object" in response.json["error"]


def test_no_token_gets_401_with_a_bearer_challenge(client):
    response = client.post("/api/v1/orders", json=make_order())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_gets_401(client, auth):
    response = client.post(
        "/api/v1/orders", json=make_order(), headers={"Authorization": "Bearer rp_wrong"}
    )
    assert response.status_code == 401


def test_a_revoked_token_no_longer_works(client, auth, session):
    from returns_portal.accounts.models import ApiToken

    token = db.session.scalars(select(ApiToken)).one()
    revoke_api_token(token.id)
    response = client.post("/api/v1/orders", json=make_order(), headers=auth)
    assert response.status_code == 401


def test_an_order_can_be_read_back(client, auth):
    client.post("/api/v1/orders", json=make_order(), headers=auth)
    response = client.get("/api/v1/orders/1001", headers=auth)
    assert response.status_code == 200
    assert response.json["payments"][0]["amount"] == 43700


def test_an_unknown_order_is_404(client, auth):
    response = client.get("/api/v1/orders/nope", headers=auth)
    assert response.status_code == 404


def test_the_openapi_document_describes_orders_and_the_dry_run(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.1")
    assert {"/orders", "/orders/{number}", "/policy/evaluate"} <= set(document["paths"])
    order = document["components"]["schemas"]["Order"]
    assert "lines" in order["required"]
    assert "LineIn" in document["components"]["schemas"]


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and "error" in response.json


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(client, auth):
    response = client.delete("/api/v1/orders", headers=auth)
    assert response.status_code == 405
    assert response.is_json
    assert "POST" in response.headers["Allow"]


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json
