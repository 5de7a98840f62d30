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
    """List the outbox rows not done yet, by handler, with their last error."""
    rows = db.session.execute(
        select(OutboxMessage.handler, func.count(), func.max(OutboxMessage.last_error))
        .where(OutboxMessage.done_at.is_(None))
        .group_by(OutboxMessage.handler)
        .order_by(OutboxMessage.handler)
    ).all()
    if not rows:
        click.echo("Nothing pending.")
    for handler, count, error in rows:
        click.echo(f"{handler}: {count} pending" + (f" (last error: {error})" if error else ""))
