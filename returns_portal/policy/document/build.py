"""Build the immutable Policy from a read document: its canonical form, digest and rules.

The canonical form is the document with every default filled in, keys normalised and lists
in a fixed order, so that two documents meaning the same rules have the same digest
(RULES.md "Merchant rules": each return keeps the version and digest it was decided under).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from returns_portal.policy.abuse import AbuseRules, normalise_address, normalise_email
from returns_portal.policy.document.read import AbuseIn, FeeIn, PolicyDocumentIn
from returns_portal.policy.facts import Resolution, ReturnMethod, ReturnReason
from returns_portal.policy.packs import Pack, normalise_category


@dataclass(frozen=True)
class Fee:
    """A restocking fee: a percentage of the refunded goods, or a fixed amount per unit."""

    percent: int | None = None
    fixed: int | None = None  # minor units per returned unit


@dataclass(frozen=True)
class HolidayExtension:
    """Orders placed in [ordered_from, ordered_to] (store dates) may be returned until return_by."""

    ordered_from: date
    ordered_to: date
    return_by: date


@dataclass(frozen=True)
class Policy:
    """A validated policy: the pack, the merchant's rules over it, and its canonical document."""

    pack: str
    version: int | None
    digest: str
    rules: Pack = field(repr=False)
    timezone: ZoneInfo = field(repr=False)
    holidays: frozenset[date] = field(repr=False)
    category_windows: Mapping[str, int] = field(repr=False)
    product_windows: Mapping[str, int] = field(repr=False)
    holiday_extensions: tuple[HolidayExtension, ...] = field(repr=False)
    final_sale_skus: frozenset[str] = field(repr=False)
    defect_window_days: int = field(repr=False)
    photos_required: bool = field(repr=False)
    category_restocking_fees: Mapping[str, Fee | None] = field(repr=False)
    default_restocking_fee: Fee | None = field(repr=False)
    return_shipping_paid_by: str = field(repr=False)
    label_cost: int = field(repr=False)
    free_return_above: int | None = field(repr=False)
    ship_within_days: int | None = field(repr=False)
    remind_days_before: int | None = field(repr=False)
    allowed_services: tuple[str, ...] = field(repr=False)
    max_rate: int | None = field(repr=False)
    methods: tuple[ReturnMethod, ...] = field(repr=False)
    resolutions: tuple[Resolution, ...] = field(repr=False)
    store_credit_bonus_percent: int = field(repr=False)
    exchange_only_categories: frozenset[str] = field(repr=False)
    ship_exchanges_before_receipt: bool = field(repr=False)
    refund_within_days: int | None = field(repr=False)
    auto_approve_below: int | None = field(repr=False)
    two_approvers_above: int | None = field(repr=False)
    abuse: AbuseRules = field(repr=False)
    returnless: Returnless = field(repr=False)
    refund_at_first_scan_below: int | None = field(repr=False)
    canonical_json: str = field(repr=False)

    @property
    def document(self) -> dict[str, Any]:
        """Return the canonical document (defaults filled), as a fresh dict."""
        result: dict[str, Any] = json.loads(self.canonical_json)
        return result

    def export(self) -> str:
        """Return the canonical document as pretty, stable JSON."""
        return json.dumps(self.document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def restocking_fee_for(self, category: str) -> Fee | None:
        """Return the restocking fee for a product category, if any."""
        key = normalise_category(category)
        if key in self.category_restocking_fees:
            return self.category_restocking_fees[key]
        return self.default_restocking_fee


def canonical_json(document: Mapping[str, Any]) -> str:
    """Return the compact, key-sorted JSON the digest is taken over."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fee(fee: FeeIn | None) -> dict[str, Any] | None:
    if fee is None:
        return None
    kind = "percent" if "percent" in fee.model_fields_set else "fixed"
    # A fee never applies to a statutory return; a document saying otherwise was refused.
    return {kind: getattr(fee, kind), "applies_to_statutory": False}


def canonical_document(doc: PolicyDocumentIn, pack: Pack) -> dict[str, Any]:
    """Return the canonical form of a read document laid over `pack`."""
    given, defect_given = doc.model_fields_set, doc.defect.model_fields_set
    return {
        "pack": doc.pack,
        "timezone": doc.timezone if "timezone" in given else pack.default_timezone,
        "holidays": [day.isoformat() for day in sorted(set(doc.holidays))],
        "windows": {
            "categories": {normalise_category(k): v for k, v in doc.windows.categories.items()},
            "products": dict(doc.windows.products),
        },
        "holiday_extensions": [
            {
                "ordered_from": e.ordered_from.isoformat(),
                "ordered_to": e.ordered_to.isoformat(),
                "return_by": e.return_by.isoformat(),
            }
            for e in sorted(
                doc.holiday_extensions, key=lambda e: (e.ordered_from, e.ordered_to, e.return_by)
            )
        ],
        "final_sale_skus": sorted(set(doc.final_sale_skus)),
        "defect": {
            # The pack's own window is the shortest defect window that does not cut the right.
            "window_days": doc.defect.window_days if "window_days" in defect_given else pack.days,
            "photos_required": doc.defect.photos_required,
        },
        "restocking_fee": {
            "categories": {
                normalise_category(k): _fee(v) for k, v in doc.restocking_fee.categories.items()
            },
            "default": _fee(doc.restocking_fee.default),
        },
        "return_shipping": {
            "paid_by": doc.return_shipping.paid_by,
            "label_cost": doc.return_shipping.label_cost,
            "free_above": doc.return_shipping.free_above,
            "ship_within_days": doc.return_shipping.ship_within_days,
            "remind_days_before": doc.return_shipping.remind_days_before,
            "services": sorted({s.strip() for s in doc.return_shipping.services}),
            "max_rate": doc.return_shipping.max_rate,
        },
        # Lists of choices are kept in the order of their enum, without duplicates.
        "methods": [m.value for m in ReturnMethod if m in doc.methods],
        "resolutions": {
            "allowed": [r.value for r in Resolution if r in doc.resolutions.allowed],
            "store_credit_bonus_percent": doc.resolutions.store_credit_bonus_percent,
            "exchange_only_categories": sorted(
                {normalise_category(c) for c in doc.resolutions.exchange_only_categories}
            ),
            "ship_exchanges_before_receipt": doc.resolutions.ship_exchanges_before_receipt,
        },
        "refund_within_days": doc.refund_within_days,
        "approval": {
            "auto_approve_below": doc.approval.auto_approve_below,
            "two_approvers_above": doc.approval.two_approvers_above,
        },
        "abuse": _abuse(doc.abuse),
        "returnless": {
            "below": doc.returnless.below,
            "categories": sorted({normalise_category(c) for c in doc.returnless.categories}),
            "reasons": [x.value for x in ReturnReason if x in doc.returnless.reasons],
        },
        "refund_at_first_scan": {"below": doc.refund_at_first_scan.below},
    }


@dataclass(frozen=True)
class Returnless:
    """When to propose a refund without the parcel (document key `returnless`)."""

    below: int | None = None  # unit value, minor units; None: never
    categories: frozenset[str] = frozenset()  # none: any
    reasons: frozenset[ReturnReason] = frozenset()  # none: any

    @classmethod
    def from_document(cls, section: Mapping[str, Any]) -> Returnless:
        return cls(
            below=section.get("below"),
            categories=frozenset(section.get("categories") or ()),
            reasons=frozenset(ReturnReason(x) for x in section.get("reasons") or ()),
        )


def _rule(rule: BaseModel | None) -> dict[str, Any] | None:
    return None if rule is None else rule.model_dump()


def _abuse(abuse: AbuseIn) -> dict[str, Any]:
    # The older {"max_returns", "within_days"} becomes returns_in_period; blocklist entries
    # are kept as they are compared, so that listing one twice changes nothing.
    return {
        "returns_in_period": _rule(abuse.returns_rule()),
        "share_returned": _rule(abuse.share_returned),
        "value_in_period": _rule(abuse.value_in_period),
        "refuted_claims": _rule(abuse.refuted_claims),
        "high_value_line": _rule(abuse.high_value_line),
        "blocklist": {
            "emails": sorted({normalise_email(e) for e in abuse.blocklist.emails}),
            "addresses": sorted({normalise_address(a) for a in abuse.blocklist.addresses}),
        },
    }


def _parse_fee(value: Mapping[str, Any] | None) -> Fee | None:
    if value is None:
        return None
    return Fee(percent=value.get("percent"), fixed=value.get("fixed"))


def build_policy(document: Mapping[str, Any], pack: Pack, version: int | None) -> Policy:
    """Turn a canonical document whose rules keep every statutory right into a Policy."""
    text = canonical_json(document)
    return Policy(
        pack=pack.code,
        version=version,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rules=pack,
        timezone=ZoneInfo(document["timezone"]),
        holidays=frozenset(date.fromisoformat(d) for d in document["holidays"]),
        category_windows=dict(document["windows"]["categories"]),
        product_windows=dict(document["windows"]["products"]),
        holiday_extensions=tuple(
            HolidayExtension(
                date.fromisoformat(e["ordered_from"]),
                date.fromisoformat(e["ordered_to"]),
                date.fromisoformat(e["return_by"]),
            )
            for e in document["holiday_extensions"]
        ),
        final_sale_skus=frozenset(document["final_sale_skus"]),
        defect_window_days=document["defect"]["window_days"],
        photos_required=document["defect"]["photos_required"],
        category_restocking_fees={
            key: _parse_fee(fee) for key, fee in document["restocking_fee"]["categories"].items()
        },
        default_restocking_fee=_parse_fee(document["restocking_fee"]["default"]),
        return_shipping_paid_by=document["return_shipping"]["paid_by"],
        label_cost=document["return_shipping"]["label_cost"],
        free_return_above=document["return_shipping"]["free_above"],
        ship_within_days=document["return_shipping"].get("ship_within_days"),
        remind_days_before=document["return_shipping"].get("remind_days_before", 2),
        allowed_services=tuple(document["return_shipping"].get("services") or ()),
        max_rate=document["return_shipping"].get("max_rate"),
        methods=tuple(ReturnMethod(m) for m in document["methods"]),
        resolutions=tuple(Resolution(r) for r in document["resolutions"]["allowed"]),
        store_credit_bonus_percent=document["resolutions"]["store_credit_bonus_percent"],
        exchange_only_categories=frozenset(document["resolutions"]["exchange_only_categories"]),
        ship_exchanges_before_receipt=document["resolutions"].get(
            "ship_exchanges_before_receipt", False
        ),
        refund_within_days=document["refund_within_days"],
        auto_approve_below=document["approval"]["auto_approve_below"],
        two_approvers_above=document["approval"]["two_approvers_above"],
        abuse=AbuseRules.from_document(document.get("abuse") or {}),
        returnless=Returnless.from_document(document.get("returnless") or {}),
        refund_at_first_scan_below=(document.get("refund_at_first_scan") or {}).get("below"),
        canonical_json=text,
    )
