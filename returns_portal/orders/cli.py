"""`flask orders …` and `flask demo …`."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from returns_portal.orders import services
from returns_portal.orders.demo import DEMO_PASSWORD, DEMO_STAFF, seed_demo
from returns_portal.orders.imports import ImportFileError, read_orders
from returns_portal.refunds.gateway import GatewayError

orders_cli = AppGroup("orders", help="Import and inspect orders.")
demo_cli = AppGroup("demo", help="Demo store data.")


@orders_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the failures to this CSV file (row, order, field, message).",
)
def import_command(file: Path, report_path: Path | None) -> None:
    """Import orders from FILE (.csv or .json); safe to re-run, good orders are kept."""
    try:
        batches = read_orders(file)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if not batches:
        click.echo(f"{file.name}: no orders found; nothing imported.")
        return
    with click.progressbar(length=len(batches), label=f"Importing {len(batches)} orders",
                           file=sys.stderr) as bar:  # fmt: skip
        report = services.import_orders(batches, actor=f"import:{file.name}", progress=bar.update)
    failures = report.failures or []
    click.echo(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.failed_orders} failed."
    )
    for failure in failures:
        click.echo(
            f"  row {failure.row} (order {failure.order}) {failure.field}: {failure.message}"
        )
    if report_path is not None:
        with report_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "order", "field", "message"])
            for failure in failures:
                writer.writerow([failure.row, failure.order, failure.field, failure.message])
        click.echo(f"Failures written to {report_path}.")
    if failures:
        sys.exit(1)


@orders_cli.command("show")
@click.argument("number")
def show_command(number: str) -> None:
    """Print order NUMBER as JSON, in the import format."""
    order = services.load_order(number)
    if order is None:
        raise click.ClickException(f"No order {number}.")
    click.echo(json.dumps(services.order_to_dict(order), indent=2, ensure_ascii=False))


@demo_cli.command("seed")
@click.option("--orders", "count", default=48, show_default=True, help="How many demo orders.")
def seed_command(count: int) -> None:
    """Create (or refresh) the demo store: orders, payments in Stripe, default policy."""
    with click.progressbar(length=count, label="Seeding demo orders", file=sys.stderr) as bar:
        try:
            summary = seed_demo(count, progress=bar.update)
        except GatewayError as exc:
            raise click.ClickException(
                f"{exc}\nIs the local Stripe server running? `make run` starts it "
                "(or run: localstripe --port 8420)."
            ) from exc

    click.echo(
        f"Demo store ready: {summary.orders} orders ({summary.payments_created} new payments). "
        f"Try order {summary.example_number} with {summary.example_email}."
    )
    if summary.journey_number:
        click.echo(
            f"Return {summary.journey_number} has travelled the whole way with the local "
            "carrier: find it at /staff/returns (flask carriers scan moves other parcels)."
        )
    staff = ", ".join(f"{role}@example.com" for role in DEMO_STAFF)
    click.echo(f"Staff sign-in at /staff/login: {staff}; password {DEMO_PASSWORD} (demo only).")
