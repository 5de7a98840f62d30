"""`flask refunds …`: settle and retry refunds (run it from cron or a scheduler)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from returns_portal.policy.money import format_money
from returns_portal.refunds import credit, services
from returns_portal.refunds.exports import ExportRangeError, export_csv, parse_range, store_zone

refunds_cli = AppGroup("refunds", help="Reconcile refunds with the payment provider.")


@refunds_cli.command("reconcile")
@click.option("--after-minutes", default=2, show_default=True,
              help="Only settle 'submitted' refunds older than this.")  # fmt: skip
def reconcile_command(after_minutes: int) -> None:
    """Settle refunds whose outcome was lost and retry failed ones; safe to run any time."""
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


credit_cli = AppGroup("credit", help="Store credit: look up codes and write off expired credit.")


@credit_cli.command("show")
@click.argument("code_or_email")
def show_command(code_or_email: str) -> None:
    """Show a code's balance, or every code of a customer (by e-mail)."""
    codes = (
        credit.customer_codes(code_or_email)
        if "@" in code_or_email
        else [c for c in [credit.lookup(code_or_email)] if c]
    )
    if not codes:
        click.echo(f"No store credit for {code_or_email}.", err=True)
        sys.exit(1)
    for c in codes:
        until = c.expires_at.date().isoformat() if c.expires_at else "never"
        click.echo(
            f"{c.code}  {c.customer_email}  {format_money(c.balance, c.currency)} left of "
            f"{format_money(c.issued, c.currency)}  expires {until}"
            + ("  (expired)" if c.expired else "")
        )


@credit_cli.command("expire")
def expire_command() -> None:
    """Write off the balance of every expired code (once per code; safe to run any time)."""
    written_off = credit.expire()
    for code, amount, currency in written_off:
        click.echo(f"{code}: {format_money(amount, currency)} expired")
    click.echo(f"{len(written_off)} code(s) expired.")


@refunds_cli.command("export")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD (store time).")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD (included).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The CSV file to write.")  # fmt: skip
def export_command(start: str, end: str, output: Path) -> None:
    """Write refunds created between two days as CSV: one row per line and deduction."""
    try:
        first, last = parse_range(start, end)
    except ExportRangeError as exc:
        raise click.BadParameter(str(exc)) from None
    output.write_text(export_csv(first, last, store_zone()), encoding="utf-8", newline="")
    click.echo(f"Wrote {output}.")
