"""`flask policy …`: show, load, export and dry-run the return policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from returns_portal import policy
from returns_portal.store import services, versions

policy_cli = AppGroup("policy", help="Show, load, export and explain the return policy.")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not valid UTF-8 JSON ({exc})") from exc


def _fail_with(errors: dict[str, list[str]], title: str) -> None:
    click.echo(title, err=True)
    for field, messages in errors.items():
        for message in messages:
            click.echo(f"  {field}: {message}", err=True)
    sys.exit(1)


def _refused(exc: policy.PolicyRefused) -> None:
    click.echo("Policy refused: it would cut a statutory right. Nothing was saved.", err=True)
    for violation in exc.violations:
        click.echo(f"  {violation.rule} cuts {violation.right}: {violation.message}", err=True)
    sys.exit(1)


@policy_cli.command("show")
def show_command() -> None:
    """Show the active policy version and its document."""
    version = services.active_policy_version()
    active = services.active_policy()
    if version is None:
        click.echo(
            f"No policy saved yet: using the default pack {active.pack} with no merchant rules."
        )
    else:
        click.echo(
            f"Policy version {version.version} (pack {version.pack}), saved "
            f"{version.created_at:%Y-%m-%d %H:%M} UTC by {version.created_by}; "
            f"digest {version.digest[:12]}."
        )
    click.echo(active.export())


@policy_cli.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
def export_command(output: Path | None) -> None:
    """Print the active policy document as JSON (load it back with `flask policy load`)."""
    text = services.active_policy().export()
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Policy written to {output}.")


@policy_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(file: Path) -> None:
    """Validate the policy document in FILE and make it the active version."""
    before = services.active_policy_version()
    try:
        version = services.save_policy(_read_json(file), actor=f"cli:{file.name}")
    except policy.PolicyInputError as exc:
        _fail_with(exc.errors, f"{file}: the policy document is not valid. Nothing was saved.")
    except policy.PolicyRefused as exc:
        _refused(exc)
    else:
        if before is not None and before.id == version.id:
            click.echo(f"Policy unchanged: version {version.version} is already active.")
        else:
            click.echo(f"Policy version {version.version} (pack {version.pack}) is now active.")


@policy_cli.command("activate")
@click.argument("number", type=click.IntRange(min=1))
def activate_command(number: int) -> None:
    """Make saved policy version NUMBER the active one again (checked as a save is)."""
    _activate(number)


@policy_cli.command("rollback")
def rollback_command() -> None:
    """Go back to the newest version saved before the active one."""
    current = services.active_policy_version()
    earlier = versions.previous_version(current.version) if current is not None else None
    if earlier is None:
        raise click.ClickException("There is no earlier policy version to roll back to.")
    _activate(earlier.version)


def _activate(number: int) -> None:
    try:
        version = versions.activate_version(number, actor="cli")
    except versions.VersionNotFound as exc:
        raise click.ClickException(f"There is no policy version {number}.") from exc
    except versions.ActivationConflict as exc:
        raise click.ClickException(f"Nothing changed: {exc}.") from exc
    except policy.PolicyInputError as exc:
        _fail_with(exc.errors, f"Version {number} is not valid any more. Nothing changed.")
    except policy.PolicyRefused as exc:
        _refused(exc)
    else:
        click.echo(f"Policy version {version.version} (pack {version.pack}) is now active.")


@policy_cli.command("explain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def explain_command(file: Path, as_json: bool) -> None:
    """Dry-run the return described in FILE and explain the decision.

    FILE holds {"order": {...} or "order_number": "...", "return": {...},
    "inspection": {...} (optional), "policy": {...} (optional)}; see docs/policy.md.
    """
    try:
        evaluation, rules = services.dry_run(_read_json(file))
    except services.DryRunInvalid as exc:
        _fail_with(exc.errors, f"{file}: the dry-run input is not valid.")
    except policy.PolicyRefused as exc:
        _refused(exc)
    else:
        if as_json:
            click.echo(json.dumps(evaluation.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(policy.format_evaluation(evaluation, rules.document["timezone"]))
