"""`flask photos …`: keep the upload storage to what returns and inspections claim."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from returns_portal.returns.overdue import tell_overdue
from returns_portal.returns.photos import sweep_photos

photos_cli = AppGroup("photos", help="Uploaded photos.")
returns_cli = AppGroup("returns", help="Customer returns.")


@returns_cli.command("tell-overdue")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many returns per run; run again for the rest.")  # fmt: skip
def tell_overdue_command(limit: int) -> None:
    """E-mail each customer whose refund is past its due date (once per return)."""
    click.echo(f"{tell_overdue(limit)} customer(s) told of a late refund.")


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
