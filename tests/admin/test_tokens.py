"""API tokens in the browser: the secret is shown once, on the page that answers the create;
a revocation is asked for first and done once."""

from __future__ import annotations

import re

from returns_portal.accounts.tokens import authenticate_token, create_api_token, touch_token
from tests.admin.conftest import csrf, events

TOKENS = "/staff/admin/tokens"


def created_secret(html: str) -> str:
    return re.search(r'id="secret"[^>]*value="(rp_[^"]+)"', html).group(1)


def test_a_created_token_s_secret_is_shown_once_and_never_again(admin):
    answer = admin.submit(TOKENS, TOKENS, {"name": "Main shop"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    raw = created_secret(answer.text)
    assert "shown only this once" in answer.text
    token = authenticate_token(raw)
    assert token is not None and token.name == "Main shop"
    [event] = events("api_token.created")
    assert event.actor == f"user:{admin.user.id} admin@example.com"
    assert raw not in str(event.after)

    listing = admin.client.get(TOKENS).text
    assert "Main shop" in listing and f"{raw[:10]}…" in listing
    assert raw not in listing
    assert raw not in admin.client.get(f"{TOKENS}/{token.id}/revoke").text
    assert raw not in admin.client.get("/staff/audit").text


def test_the_list_shows_when_each_token_was_made_and_last_used(admin):
    create_api_token("Feed")
    _raw, used = create_api_token("Used feed")
    touch_token(used)
    listing = admin.client.get(TOKENS).text
    row = re.search(r"<td>Feed</td>.*?</tr>", listing, re.S).group(0)
    assert "never" in row and "Revoke" in row
    row = re.search(r"<td>Used feed</td>.*?</tr>", listing, re.S).group(0)
    assert "never" not in row and re.search(r"<td>[^<]*\d+:\d+[^<]*</td>\s*<td>active", row)


def test_a_token_needs_a_name_that_fits(admin):
    empty = admin.submit(TOKENS, TOKENS, {"name": "   "})
    assert empty.status_code == 400
    assert 'aria-describedby="name-help name-error"' in empty.text
    long = admin.submit(TOKENS, TOKENS, {"name": "x" * 101})
    assert long.status_code == 400
    assert "at most 100 characters" in long.text
    assert events("api_token.created") == []


def test_revoking_asks_first_then_the_token_stops_working(admin):
    raw, token = create_api_token("Old shop")
    revoke = f"{TOKENS}/{token.id}/revoke"
    question = admin.client.get(revoke)
    assert question.status_code == 200 and "Revoke the token Old shop?" in question.text
    unconfirmed = admin.submit(revoke, revoke)
    assert unconfirmed.status_code == 200 and "Revoke the token Old shop?" in unconfirmed.text
    assert authenticate_token(raw) is not None

    answer = admin.submit(revoke, revoke, {"confirm": "yes"})
    assert answer.status_code == 302
    assert authenticate_token(raw) is None
    [event] = events("api_token.revoked")
    assert event.actor == f"user:{admin.user.id} admin@example.com"
    assert "The token Old shop no longer works." in admin.client.get(TOKENS).text


def test_a_token_is_revoked_once(admin):
    _raw, token = create_api_token("Old shop")
    revoke = f"{TOKENS}/{token.id}/revoke"
    page = admin.client.get(revoke)  # two tabs open on the question …
    token_field = csrf(page.text)
    first = admin.client.post(revoke, data={"confirm": "yes", "csrf_token": token_field})
    second = admin.client.post(revoke, data={"confirm": "yes", "csrf_token": token_field})
    assert first.status_code == second.status_code == 302
    assert f"API token {token.id} is already revoked." in admin.client.get(TOKENS).text
    assert len(events("api_token.revoked")) == 1
    # The question itself now says it is done.
    assert "This token was revoked" in admin.client.get(revoke).text


def test_an_unknown_token_is_not_found(admin):
    assert admin.client.get(f"{TOKENS}/999999/revoke").status_code == 404
