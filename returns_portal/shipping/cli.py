"""`flask carriers …`: the local carrier's scans, polling, and the tracking exception list."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from returns_portal.shipping import tracking
from returns_portal.shipping.statuses import TrackingCode

carriers_cli = AppGroup("carriers", help="Carrier tracking: scans, polling, exceptions.")


@carriers_cli.command("scan")
@click.argument("tracking_number")
@click.argument("code", type=click.Choice([c.value for c in TrackingCode]))
@click.option("--at", "at", help="When it happened (ISO 8601 with a time zone); default now.")
@click.option("--description", default="", help="What the carrier says, e.g. 'Picked up'.")
@click.option("--location", default="", help="Where, e.g. 'Shanghai'.")
def scan_command(
    tracking_number: str, code: str, at: str | None, description: str, location: str
) -> None:
    """Report a scan of a local carrier's parcel, as its carrier would."""
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from None
        if when.tzinfo is None:
            raise click.BadParameter("give the time zone, e.g. 2026-12-04T09:00+08:00",
                                     param_hint="--at")  # fmt: skip
    try:
        outcome = tracking.emit_local_scan(tracking_number, code, when, description, location)
    except tracking.TrackingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{tracking_number}: {code} ({outcome.replace('_', ' ')})")


@carriers_cli.command("poll")
@click.option("--limit", type=click.IntRange(1, 10_000), help="At most this many parcels.")
def poll_command(limit: int | None) -> None:
    """Ask carriers without webhooks about their parcels (the periodic job, once)."""
    click.echo(tracking.poll_trackers(limit))
    click.echo(tracking.flag_stalled())


@carriers_cli.command("exceptions")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def exceptions_command(limit: int) -> None:
    """List the parcels that went wrong: returned to sender, failed, or not moving."""
    found = tracking.tracking_exceptions(limit)
    if not found:
        click.echo("No tracking exceptions.")
        return
    for row in found:
        since = row.since.strftime("%Y-%m-%d %H:%M UTC") if row.since else "?"
        click.echo(f"{row.rma_number or '-'}\t{row.rma_status or '-'}\t{row.carrier}\t"
                   f"{row.tracking_number}\t{row.problem}\tsince {since}")  # fmt: skip
