"""`flask tokens …` and `flask users …`: API tokens for the shop's order feed, and staff users."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from returns_portal.accounts import services, tokens
from returns_portal.accounts.models import Role
from returns_portal.types import utcnow

tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")


@tokens_cli.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create an API token called NAME and print it (it is shown only once)."""
    try:
        raw, token = tokens.create_api_token(name)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created API token {token.id} ({token.name}). Store it now; it is not shown again:")
    click.echo(raw)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List API tokens (never their secrets)."""
    listed = tokens.list_api_tokens()
    if not listed:
        click.echo("No API tokens yet. Create one with: flask tokens create NAME")
        return
    for token in listed:
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at.isoformat() if token.last_used_at else "never used"
        click.echo(f"{token.id:>4}  {token.prefix}…  {token.name}  {state}  {used}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke the API token with TOKEN_ID."""
    try:
        tokens.revoke_api_token(token_id)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Revoked API token {token_id}.")


users_cli = AppGroup("users", help="Create and manage staff users.")


def _read_password(from_stdin: bool) -> str:
    """Read a new password: one line from stdin for scripts, else asked twice, hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking.",
)


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    help="One of: " + ", ".join(role.value for role in Role) + ".",
)
@click.option("--name", default="", help="The person's name, shown on staff pages.")
@password_stdin
def create_user(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff user with EMAIL and a role; asks for the password."""
    try:
        services.check_role(role)  # before asking for a password that would be thrown away
        user = services.create_user(email, _read_password(password_stdin), role, name=name)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created staff user {user.id}: {user.email} ({user.role}).")


@users_cli.command("list")
def list_users() -> None:
    """List staff users with their role and state (never their passwords)."""
    users = services.list_users()
    if not users:
        click.echo("No staff users yet. Create one with: flask users create EMAIL --role admin")
        return
    locks_of = services.locks_by_user(users, now=utcnow())
    for user in users:
        if not user.active:
            state = "deactivated"
        elif locks := locks_of[user.id]:
            until = max(lock.locked_until for lock in locks if lock.locked_until is not None)
            places = "address" if len(locks) == 1 else "addresses"
            state = f"locked until {until.isoformat(timespec='minutes')} at {len(locks)} {places}"
        else:
            state = "active"
        name = f"  {user.name}" if user.name else ""
        click.echo(f"{user.id:>4}  {user.email}  {user.role}  {state}{name}")


@users_cli.command("unlock")
@click.argument("email")
def unlock_user(email: str) -> None:
    """Lift the lockouts of the staff user with EMAIL, at every address."""
    try:
        user = services.unlock_user(email)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Unlocked {user.email}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Stop the staff user with EMAIL from signing in."""
    try:
        user = services.deactivate_user(email)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Deactivated {user.email}.")


@users_cli.command("set-password")
@click.argument("email")
@password_stdin
def set_password(email: str, password_stdin: bool) -> None:
    """Give the staff user with EMAIL a new password; asks for it."""
    try:
        services.get_user(email)  # before asking for a password that would be thrown away
        user = services.set_password(email, _read_password(password_stdin))
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Set a new password for {user.email}.")
