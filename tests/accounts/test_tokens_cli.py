from __future__ import annotations

from returns_portal.accounts.tokens import authenticate_token


def test_a_created_token_is_printed_once_and_authenticates(cli):
    result = cli.invoke(args=["tokens", "create", "main shop"])
    assert result.exit_code == 0
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("rp_")
    token = authenticate_token(raw)
    assert token is not None and token.name == "main shop"
    assert raw not in cli.invoke(args=["tokens", "list"]).output


def test_listing_with_no_tokens_says_how_to_create_one(cli):
    result = cli.invoke(args=["tokens", "list"])
    assert "flask tokens create NAME" in result.output


def test_revoking_an_unknown_token_is_a_clear_error(cli):
    result = cli.invoke(args=["tokens", "revoke", "999"])
    assert result.exit_code == 1
    assert "No API token with id 999." in result.output
