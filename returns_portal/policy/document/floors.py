"""The statutory floors: merchant rules may add to the law's rights, never cut them.

RULES.md "Merchant rules": a merchant window or defect window may only be longer than the
pack's, a refund deadline only shorter, and a restocking fee never applies to a return the
law gives. Every rule below the floor is a Violation naming the rule and the right it cuts;
the document is refused with all of them at once.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from returns_portal.policy.document.read import FeeIn, PolicyDocumentIn
from returns_portal.policy.errors import Violation
from returns_portal.policy.packs import DEFAULT_PACK, PACKS, Pack

PACK_RIGHT = "every policy is laid over a statutory rule pack (RULES.md)"
TIMEZONE_RIGHT = "windows are counted in whole calendar days in the store's time zone (RULES.md)"


def pack_of(doc: PolicyDocumentIn) -> Pack:
    """Return the document's pack; an unknown pack is checked against the default one."""
    return PACKS.get(doc.pack, PACKS[DEFAULT_PACK])


def _zone(doc: PolicyDocumentIn, pack: Pack) -> list[Violation]:
    name = doc.timezone if "timezone" in doc.model_fields_set else pack.default_timezone
    try:
        ZoneInfo(name)
    # A name that is a folder of the zone database ("America") or too long for a file name
    # fails as OSError: as unknown as any other.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return [Violation("timezone", TIMEZONE_RIGHT, f"unknown time zone {name!r}")]
    return []


def _windows(doc: PolicyDocumentIn, pack: Pack) -> list[Violation]:
    # A merchant window may only extend the law's; keys are named as the merchant wrote them.
    return [
        Violation(
            f"windows.{kind}.{key}",
            pack.right,
            f"a {days}-day window is shorter than the statutory {pack.days} days",
        )
        for kind, windows in (
            ("categories", doc.windows.categories),
            ("products", doc.windows.products),
        )
        for key, days in windows.items()
        if days < pack.days
    ]


def _defect(doc: PolicyDocumentIn, pack: Pack) -> list[Violation]:
    days = doc.defect.window_days
    if "window_days" not in doc.defect.model_fields_set or days >= pack.days:
        return []
    return [
        Violation(
            "defect.window_days",
            pack.right,
            f"a {days}-day defect window is shorter than the statutory {pack.days} days",
        )
    ]


def _fee(fee: FeeIn | None, path: str, pack: Pack) -> list[Violation]:
    if fee is None or not fee.applies_to_statutory:
        return []
    return [
        Violation(
            f"{path}.applies_to_statutory",
            pack.right,
            "a restocking fee may not be charged on a statutory return",
        )
    ]


def _restocking_fees(doc: PolicyDocumentIn, pack: Pack) -> list[Violation]:
    fees = doc.restocking_fee
    found = [
        violation
        for key, fee in fees.categories.items()
        for violation in _fee(fee, f"restocking_fee.categories.{key}", pack)
    ]
    return found + _fee(fees.default, "restocking_fee.default", pack)


def _refund_deadline(doc: PolicyDocumentIn, pack: Pack) -> list[Violation]:
    days = doc.refund_within_days
    if days is None or days <= pack.refund_days:
        return []
    return [
        Violation(
            "refund_within_days",
            pack.refund_right,
            f"{days} days is longer than the statutory {pack.refund_days} days",
        )
    ]


def violations(doc: PolicyDocumentIn) -> list[Violation]:
    """Return every rule of `doc` that would cut a statutory right, in document order."""
    found = []
    if doc.pack not in PACKS:
        found.append(
            Violation("pack", PACK_RIGHT, f"unknown pack {doc.pack!r}; use one of {sorted(PACKS)}")
        )
    pack = pack_of(doc)
    for check in (_zone, _windows, _defect, _restocking_fees, _refund_deadline):
        found.extend(check(doc, pack))
    return found
