"""`flask tokens …`: API tokens for the shop's order feed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from returns_portal.accounts import services

tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")


@tokens_cli.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create an API token called NAME and print it (it is shown only once)."""
    try:
        raw, token = services.create_api_token(name)
    except services.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created API token {token.id} ({token.name}). Store it now; it is not shown again:")
    click.echo(raw)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List API tokens (never their secrets)."""
    tokens = services.list_api_tokens()
    if not tokens:
        click.echo("No API tokens yet. Create one with: flask tokens create NAME")
        return
    for token in tokens:
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at.isoformat() if token.last_used_at else "never used"
        click.echo(f"{token.id:>4}  {token.prefix}…  {token.name}  {state}  {used}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke the API token with TOKEN_ID."""
    try:
        services.revoke_api_token(token_id)
    except services.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Revoked API token {token_id}.")
