"""The policy's saved versions: list them, compare two, activate or roll back, try an edit.

Saving a document is `services.save_policy` (the same call `flask policy load` makes); this
module adds what the admin's pages need around it. Activating an earlier version runs the
stored document through `policy.load_policy` again, the validation and statutory floors every
save runs, so a version the rules of today would refuse is never made active again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from returns_portal import policy
from returns_portal.audit.services import record_event
from returns_portal.extensions import db
from returns_portal.orders.services import load_order
from returns_portal.store import services
from returns_portal.store.models import PolicyVersion
from returns_portal.types import utcnow

PER_PAGE = 20


class VersionNotFound(LookupError):
    """No saved policy version has this number."""


class ActivationConflict(RuntimeError):
    """The version to activate is already active, or the active one changed meanwhile."""

    def __init__(self, message: str, active: int | None) -> None:
        super().__init__(message)
        self.active = active  # the version active now


@dataclass(frozen=True)
class Change:
    """One key that differs between two documents; `before`/`after` MISSING when absent."""

    path: str  # dotted, e.g. "windows.categories.apparel"
    before: Any
    after: Any

    @property
    def added(self) -> bool:
        return self.before is MISSING

    @property
    def removed(self) -> bool:
        return self.after is MISSING


class _Missing:
    """The value of a key that one of two documents does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class VersionRow:
    """A saved version with what changed from the version before it (by number)."""

    version: PolicyVersion
    changes: tuple[Change, ...]
    first: bool  # no earlier version: nothing to compare with


@dataclass(frozen=True)
class VersionPage:
    """One page of the versions, newest first."""

    rows: tuple[VersionRow, ...]
    total: int
    page: int
    pages: int


def _changes(before: Any, after: Any, path: str) -> Iterator[Change]:
    # Objects are compared key by key, in key order (PostgreSQL's jsonb keeps no other);
    # anything else (a list, a value, an object that replaces a value) as one value.
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted({*before, *after}, key=str):
            inner = f"{path}.{key}" if path else str(key)
            yield from _changes(before.get(key, MISSING), after.get(key, MISSING), inner)
    elif before != after:
        yield Change(path, before, after)


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Change, ...]:
    """Return every key whose value differs between two documents, sorted by key."""
    return tuple(_changes(before, after, ""))


def show_value(value: Any) -> str:
    """Write one value of a document as it reads in JSON ("30", "null", '["label"]')."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def show_document(document: Mapping[str, Any]) -> str:
    """Write a whole document as `flask policy export` does: sorted keys, indented."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)


def get_version(number: int) -> PolicyVersion:
    """Return the saved version with this number; raise VersionNotFound."""
    version = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == number))
    if version is None:
        raise VersionNotFound(number)
    return version


def all_version_numbers() -> list[tuple[int, bool]]:
    """Return (number, active) of every saved version, newest first (for pickers)."""
    rows = db.session.execute(
        select(PolicyVersion.version, PolicyVersion.active).order_by(PolicyVersion.version.desc())
    ).all()
    return [(int(number), bool(active)) for number, active in rows]


def list_versions(page: int = 1, per_page: int = PER_PAGE) -> VersionPage:
    """Return one page of saved versions, newest first, each with its changes."""
    total = int(db.session.scalar(select(func.count(PolicyVersion.id))) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # One row more than the page: the version before the page's last, to compare it with.
    found = list(
        db.session.scalars(
            select(PolicyVersion)
            .order_by(PolicyVersion.version.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    rows = []
    for index, version in enumerate(found[:per_page]):
        earlier = found[index + 1] if index + 1 < len(found) else None
        changes = diff_documents(earlier.document, version.document) if earlier else ()
        rows.append(VersionRow(version, changes, first=earlier is None))
    return VersionPage(tuple(rows), total, page, pages)


@dataclass(frozen=True)
class Overview:
    """The versions page: the active version, a page of versions, where a roll-back goes."""

    listing: VersionPage
    active: PolicyVersion | None
    active_pack: str  # the default pack's when nothing is saved
    rollback: PolicyVersion | None


def overview(page: int = 1) -> Overview:
    """Return what the versions page shows."""
    active = services.active_policy_version()
    return Overview(
        listing=list_versions(page),
        active=active,
        active_pack=active.pack if active is not None else services.active_policy().pack,
        rollback=previous_version(active.version) if active is not None else None,
    )


def previous_version(number: int) -> PolicyVersion | None:
    """Return the newest version saved before version `number`, if any."""
    return db.session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.version < number)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


def version_row(version: PolicyVersion) -> VersionRow:
    """Return a version with what changed from the version before it."""
    earlier = previous_version(version.version)
    changes = diff_documents(earlier.document, version.document) if earlier else ()
    return VersionRow(version, changes, first=earlier is None)


def active_document() -> dict[str, Any]:
    """Return the document returns are decided under now (the default pack's if none saved)."""
    return services.active_policy().document


def rollback_target() -> PolicyVersion | None:
    """Return the version a roll-back goes to: the newest one older than the active one."""
    current = services.active_policy_version()
    return previous_version(current.version) if current is not None else None


def activate_version(number: int, actor: str, expected_active: int | None = None) -> PolicyVersion:
    """Make saved version `number` the active policy again, audited with `actor`.

    `expected_active` is the active version the admin confirmed against: when another one is
    active by now, nothing changes and ActivationConflict says so. The document is checked
    again as every save is (policy.PolicyInputError, policy.PolicyRefused): the floors may
    have risen since it was saved. Activating a version older than the active one is a
    roll-back and is audited as `policy.rolled_back`; a newer one as `policy.activated`.
    """
    current = db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.active.is_(True)).with_for_update()
    )
    target = db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.version == number).with_for_update()
    )
    if target is None:
        raise VersionNotFound(number)
    current_number = current.version if current is not None else None
    if expected_active is not None and current_number != expected_active:
        raise ActivationConflict(
            f"version {current_number} became active meanwhile; check the change again",
            current_number,
        )
    if current is not None and current.id == target.id:
        raise ActivationConflict(f"version {number} is already active", current_number)
    loaded = policy.load_policy(target.document, version=number)
    if current is not None:
        current.active = False
        db.session.flush()  # one active row at a time, whatever order the UPDATEs take
    target.active = True
    rolled_back = current is not None and number < current.version
    record_event(
        actor, "policy.rolled_back" if rolled_back else "policy.activated",
        "policy_version", number,
        before={"version": current.version, "digest": current.digest} if current else None,
        after={"version": number, "digest": loaded.digest, "pack": loaded.pack},
    )  # fmt: skip
    db.session.commit()
    return target


def preview(document: Mapping[str, Any]) -> tuple[policy.Policy, tuple[Change, ...]]:
    """Check an edited document as a save would, and say how it differs from the active one.

    Raises policy.PolicyInputError or policy.PolicyRefused, as `save_policy` would.
    """
    rules = policy.load_policy(document, version=None)
    return rules, diff_documents(active_document(), rules.document)


@dataclass(frozen=True)
class DryRunResult:
    """A dry run of an order against an edited document: what the CLI's explain reports."""

    evaluation: policy.Evaluation
    rules: policy.Policy
    report: str  # `flask policy explain`'s text, word for word
    changes: tuple[Change, ...]  # the edited document against the active one
    requested_at: datetime


def dry_run_order(
    document: Mapping[str, Any],
    order_number: str,
    reason: str = "changed_mind",
    resolution: str = "refund",
    method: str = "label",
) -> DryRunResult:
    """Decide a return of every unit still returnable of a stored order under `document`.

    The document is checked first as a save would check it (PolicyInputError, PolicyRefused),
    then the return goes through `services.dry_run`, the service `flask policy explain` uses
    (DryRunInvalid naming each bad field).
    """
    rules, changes = preview(document)
    order = load_order(order_number.strip())
    if order is None:
        raise services.DryRunInvalid({"order_number": [f"no order {order_number.strip()}"]})
    taken = services.returned_units(order)
    lines = [
        {
            "line_id": line.line_ref,
            "quantity": line.quantity - taken.get(line.line_ref, 0),
            "reason": reason,
            "resolution": resolution,
        }
        for line in order.lines
        if line.quantity > taken.get(line.line_ref, 0)
    ]
    if not lines:
        raise services.DryRunInvalid(
            {"order_number": ["every unit of this order is in a return already"]}
        )
    now = utcnow()
    evaluation, used = services.dry_run(
        {
            "order_number": order.number,
            "return": {"requested_at": now.isoformat(), "lines": lines, "method": method},
            "policy": rules.document,
        }
    )
    report = policy.format_evaluation(evaluation, used.document["timezone"])
    return DryRunResult(evaluation, used, report, changes, now)
