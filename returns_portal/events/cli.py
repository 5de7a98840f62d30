"""`flask events …`: look at the outbox and hand out what is due again."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from returns_portal.events import services
from returns_portal.events.models import OutboxMessage
from returns_portal.extensions import db

events_cli = AppGroup("events", help="The outbox of side effects (mail, payments).")


@events_cli.command("redeliver")
def redeliver_command() -> None:
    """Hand every due, undone outbox row to its handler again; safe to run any time."""
    click.echo(f"{services.redeliver()} outbox row(s) handed out again.")


@events_cli.command("pending")
def pending_command() -> None:
    """List the outbox rows not done yet, by handler, with their last error; parked rows
    (no such handler, or out of attempts) one by one, for `flask events release`."""
    rows = db.session.execute(
        select(OutboxMessage.handler, func.count(), func.max(OutboxMessage.last_error))
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.parked_at.is_(None))
        .group_by(OutboxMessage.handler)
        .order_by(OutboxMessage.handler)
    ).all()
    parked = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.done_at.is_(None), OutboxMessage.parked_at.is_not(None))
        .order_by(OutboxMessage.id)
    ).all()
    if not rows and not parked:
        click.echo("Nothing pending.")
    for handler, count, error in rows:
        click.echo(f"{handler}: {count} pending" + (f" (last error: {error})" if error else ""))
    for message in parked:
        click.echo(
            f"parked #{message.id} {message.event} → {message.handler} "
            f"since {message.parked_at:%Y-%m-%d %H:%M} UTC: {message.last_error}"
        )


@events_cli.command("release")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Release every parked row.")
def release_command(ids: tuple[int, ...], everything: bool) -> None:
    """Give parked outbox rows (by id, or --all) fresh attempts; they run on the next turn."""
    if not ids and not everything:
        raise click.UsageError(
            "Name the parked rows to release (see `flask events pending`), or --all."
        )
    count = services.release(None if everything else list(ids))
    click.echo(f"{count} parked row(s) released; `flask events redeliver` hands them out now.")
