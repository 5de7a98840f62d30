"""`flask returns …`, `flask exchanges …` and `flask photos …`: returns' periodic work from
the command line, the replacement orders of exchanges, and the upload storage."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from returns_portal.extensions import db
from returns_portal.returns.expiry import expire_unsent
from returns_portal.returns.overdue import tell_overdue
from returns_portal.returns.photos import sweep_photos
from returns_portal.returns.services import (
    ReplacementError,
    hand_over_waiting,
    load_return,
    ship_replacement,
    waiting_replacements,
)

photos_cli = AppGroup("photos", help="Uploaded photos.")
returns_cli = AppGroup("returns", help="Customer returns.")
exchanges_cli = AppGroup("exchanges", help="Replacement orders: the new items of exchanges.")


@returns_cli.command("tell-overdue")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many returns per run; run again for the rest.")  # fmt: skip
def tell_overdue_command(limit: int) -> None:
    """E-mail each customer whose refund is past its due date (once per return)."""
    click.echo(f"{tell_overdue(limit)} customer(s) told of a late refund.")


@returns_cli.command("expire")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many returns waiting to be sent looked at per run.")  # fmt: skip
def expire_command(limit: int) -> None:
    """Remind customers whose last day to send the parcel is near; expire returns past it
    (label voided with the carrier, exchange stock released, customer told)."""
    done = expire_unsent(limit)
    click.echo(
        f"{done.reminded} reminded, {done.expired} expired, "
        f"{done.kept} past their day but already with the carrier."
    )


@photos_cli.command("sweep")
@click.option(
    "--hours",
    default=24,
    show_default=True,
    type=click.IntRange(min=1),
    help="Only photos stored longer ago than this (drafts in progress keep theirs).",
)
def sweep_command(hours: int) -> None:
    """Delete stored photos that no return and no inspection claims; safe to run any time."""
    click.echo(f"{sweep_photos(timedelta(hours=hours))} unclaimed photo(s) deleted.")


@exchanges_cli.command("list")
def list_exchanges_command() -> None:
    """List the replacement orders not shipped yet, oldest first: tab-separated return,
    status, since, and each line as SKU×units."""
    waiting = waiting_replacements()
    if not waiting:
        click.echo("No replacement is waiting: every one is shipped or cancelled.")
        return
    for order in waiting:
        lines = " ".join(f"{line.sku}×{line.quantity}" for line in order.lines)
        since = (order.handed_over_at or order.created_at).isoformat(timespec="minutes")
        click.echo(f"{order.rma.number}\t{order.status}\t{since}\t{lines}")


@exchanges_cli.command("ship")
@click.argument("number")
@click.option("--carrier", required=True, help="Who carries the new item, e.g. SF Express.")
@click.option("--tracking", "tracking_number", required=True, help="Its tracking number.")
def ship_exchange_command(number: str, carrier: str, tracking_number: str) -> None:
    """Record that the replacement for return NUMBER was sent; the customer is e-mailed."""
    rma = load_return(number)
    if rma is None:
        db.session.rollback()
        raise click.ClickException(f"No return {number.strip().upper()}.")
    try:
        order = ship_replacement(rma, carrier, tracking_number, "cli")
    except ReplacementError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Replacement for {rma.number} shipped with {order.carrier}, "
        f"tracking number {order.tracking_number}."
    )


@exchanges_cli.command("hand-over")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many of each kind per run; run again for the rest.")  # fmt: skip
def hand_over_command(limit: int) -> None:
    """Create the replacement orders that are due but missing, and hand to fulfilment
    those waiting for stock that is on hand now (the hourly job does the same)."""
    done = hand_over_waiting(limit)
    click.echo(
        f"{done.created} replacement(s) created, {done.handed} handed to fulfilment, "
        f"{done.waiting} waiting for stock."
    )
