"""`flask refunds …`: settle and retry refunds (run it from cron or a scheduler)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from returns_portal.refunds import services

refunds_cli = AppGroup("refunds", help="Reconcile refunds with the payment provider.")


@refunds_cli.command("reconcile")
@click.option("--after-minutes", default=2, show_default=True,
              help="Only settle 'submitted' refunds older than this.")  # fmt: skip
def reconcile_command(after_minutes: int) -> None:
    """Settle refunds whose outcome was lost and retry failed ones; safe to run any time."""
    from datetime import timedelta

    report = services.reconcile(timedelta(minutes=after_minutes))
    click.echo(
        f"{report.settled} settled from the provider, {report.retried} retried, "
        f"{report.still_failing} still failing."
    )
    if report.still_failing:
        sys.exit(1)


@refunds_cli.command("report")
def report_command() -> None:
    """Compare the portal's paid refunds with the payment provider's; exit 1 on any difference."""
    mismatches = services.reconciliation_report()
    if not mismatches:
        click.echo("Portal and payment provider agree on every refund.")
        return
    for m in mismatches:
        click.echo(
            f"{m.kind:<20} payment {m.payment}  portal {m.portal_refund or '-'}  "
            f"provider {m.provider_refund or '-'}  {m.detail}"
        )
    click.echo(f"{len(mismatches)} difference(s).")
    sys.exit(1)
