"""`flask photos …`: keep the upload storage to what returns and inspections claim."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from returns_portal.returns.photos import sweep_photos

photos_cli = AppGroup("photos", help="Uploaded photos.")


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
