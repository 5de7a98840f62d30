"""The merchant's policy document: defaults, validation, refusal of right-cutting rules, export.

A document is a JSON-able mapping laid over a rule pack (RULES.md "Merchant rules"). Every key
is optional; `load_policy` fills the defaults, checks types, refuses rules that would cut a
statutory right and returns a `Policy` with a canonical form and its digest.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from returns_portal.policy.errors import ErrorCollector, PolicyInputError, PolicyRefused, Violation
from returns_portal.policy.facts import Resolution, ReturnMethod
from returns_portal.policy.packs import DEFAULT_PACK, PACKS, Pack, normalise_category

PACK_RIGHT = "every policy is laid over a statutory rule pack (RULES.md)"
TIMEZONE_RIGHT = "windows are counted in whole calendar days in the store's time zone (RULES.md)"

PAID_BY = ("customer", "merchant")


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
    methods: tuple[ReturnMethod, ...] = field(repr=False)
    resolutions: tuple[Resolution, ...] = field(repr=False)
    store_credit_bonus_percent: int = field(repr=False)
    exchange_only_categories: frozenset[str] = field(repr=False)
    refund_within_days: int | None = field(repr=False)
    auto_approve_below: int | None = field(repr=False)
    two_approvers_above: int | None = field(repr=False)
    abuse_max_returns: int | None = field(repr=False)
    abuse_within_days: int = field(repr=False)
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


def default_document(pack: str = DEFAULT_PACK) -> dict[str, Any]:
    """Return the complete default document for `pack`: the law, and nothing more."""
    rules = PACKS[pack]
    return {
        "pack": rules.code,
        "timezone": rules.default_timezone,
        "holidays": [],
        "windows": {"categories": {}, "products": {}},
        "holiday_extensions": [],
        "final_sale_skus": [],
        # The pack's own window is the shortest defect window that does not cut the right.
        "defect": {"window_days": rules.days, "photos_required": True},
        "restocking_fee": {"categories": {}, "default": None},
        "return_shipping": {"paid_by": "customer", "label_cost": 0, "free_above": None},
        "methods": [m.value for m in ReturnMethod],
        "resolutions": {
            "allowed": [r.value for r in Resolution],
            "store_credit_bonus_percent": 0,
            "exchange_only_categories": [],
        },
        "refund_within_days": None,
        "approval": {"auto_approve_below": None, "two_approvers_above": None},
        "abuse": {"max_returns": None, "within_days": 90},
    }


def canonical_json(document: Mapping[str, Any]) -> str:
    """Return the compact, key-sorted JSON the digest is taken over."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Reader:
    """Type checks that record errors under dotted paths instead of raising."""

    def __init__(self) -> None:
        self.errors = ErrorCollector()

    def mapping(self, value: object, path: str, keys: tuple[str, ...] | None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.errors.add(path, "must be an object")
            return {}
        for key in value:
            if not isinstance(key, str):
                self.errors.add(path, f"keys must be strings, got {key!r}")
            elif keys is not None and key not in keys:
                self.errors.add(_join(path, key), "unknown field")
        return value

    def integer(
        self, value: object, path: str, minimum: int = 0, maximum: int | None = None
    ) -> int | None:
        # bool is an int subclass in Python, but true/false is never a count or an amount.
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.add(path, "must be an integer")
            return None
        if value < minimum:
            self.errors.add(path, f"must be at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.errors.add(path, f"must be at most {maximum}")
            return None
        return value

    def optional_integer(self, value: object, path: str, minimum: int = 0) -> int | None:
        return None if value is None else self.integer(value, path, minimum)

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.errors.add(path, "must be true or false")
            return None
        return value

    def string(self, value: object, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.errors.add(path, "must be a non-empty string")
            return None
        return value.strip()

    def iso_date(self, value: object, path: str) -> date | None:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.errors.add(path, "must be a date as yyyy-mm-dd")
        return None

    def string_list(self, value: object, path: str) -> list[str]:
        if not isinstance(value, list):
            self.errors.add(path, "must be a list")
            return []
        found = [self.string(item, f"{path}.{i}") for i, item in enumerate(value)]
        return [item for item in found if item is not None]

    def choices(self, value: object, path: str, allowed: tuple[str, ...]) -> list[str]:
        items = self.string_list(value, path)
        for i, item in enumerate(items):
            if item not in allowed:
                self.errors.add(f"{path}.{i}", f"must be one of {', '.join(allowed)}")
        if isinstance(value, list) and not value:
            self.errors.add(path, "must not be empty")
        # Canonical order is the order of `allowed`, without duplicates.
        return [choice for choice in allowed if choice in items]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fee(reader: _Reader, value: object, path: str, pack: Pack) -> tuple[Any, list[Violation]]:
    """Validate one restocking fee; return its canonical form and any violations."""
    if value is None:
        return None, []
    fee = reader.mapping(value, path, ("percent", "fixed", "applies_to_statutory"))
    kinds = [kind for kind in ("percent", "fixed") if kind in fee]
    if len(kinds) != 1:
        reader.errors.add(path, "must set exactly one of percent or fixed")
        return None, []
    kind = kinds[0]
    maximum = 100 if kind == "percent" else None
    amount = reader.integer(fee[kind], f"{path}.{kind}", 0, maximum)
    applies = reader.boolean(fee.get("applies_to_statutory", False), f"{path}.applies_to_statutory")
    violations = []
    if applies:
        violations.append(
            Violation(
                rule=f"{path}.applies_to_statutory",
                right=pack.right,
                message="a restocking fee may not be charged on a statutory return",
            )
        )
    return {kind: amount, "applies_to_statutory": False}, violations


class _Loader(_Reader):
    """Read one document section by section into its canonical form, noting violations."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        super().__init__()
        self.violations: list[Violation] = []
        self.tz: ZoneInfo | None = None
        self.top = self.mapping(doc, "", tuple(default_document()))
        code = self.string(self.top.get("pack", DEFAULT_PACK), "pack") or DEFAULT_PACK
        pack = PACKS.get(code)
        if pack is None:
            self.violations.append(
                Violation("pack", PACK_RIGHT, f"unknown pack {code!r}; use one of {sorted(PACKS)}")
            )
            pack = PACKS[DEFAULT_PACK]  # keep checking the rest against the default pack
        self.pack = pack
        self.out = default_document(pack.code)
        self.out["pack"] = code

    def read_zone(self) -> None:
        """Check the time zone; windows are counted in it."""
        tz: ZoneInfo | None = None
        tz_name = self.string(self.top.get("timezone", self.out["timezone"]), "timezone")
        if tz_name is not None:
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                self.violations.append(
                    Violation("timezone", TIMEZONE_RIGHT, f"unknown time zone {tz_name!r}")
                )
            self.out["timezone"] = tz_name
        self.tz = tz

    def read_holidays(self) -> None:
        """Read the public holidays (eu-14day rolls periods past them)."""
        holidays: set[date] = set()
        if "holidays" in self.top:
            for i, item in enumerate(self.string_list(self.top["holidays"], "holidays")):
                day = self.iso_date(item, f"holidays.{i}")
                if day is not None:
                    holidays.add(day)
        self.out["holidays"] = [d.isoformat() for d in sorted(holidays)]

    def read_windows(self) -> None:
        """Read category and product windows; refuse any shorter than the pack's."""
        windows = self.mapping(self.top.get("windows", {}), "windows", ("categories", "products"))
        for kind in ("categories", "products"):
            path = f"windows.{kind}"
            entries = self.mapping(windows.get(kind, {}), path, None)
            for key, value in entries.items():
                days = self.integer(value, f"{path}.{key}", 1)
                if days is None:
                    continue
                name = normalise_category(key) if kind == "categories" else key
                self.out["windows"][kind][name] = days
                if days < self.pack.days:
                    # RULES.md "Merchant rules": a merchant window may only extend the law's.
                    self.violations.append(
                        Violation(
                            f"{path}.{key}",
                            self.pack.right,
                            f"a {days}-day window is shorter than "
                            f"the statutory {self.pack.days} days",
                        )
                    )

    def read_holiday_extensions(self) -> None:
        """Read holiday extensions: orders in a date range returnable until a date."""
        extensions: list[HolidayExtension] = []
        raw_extensions = self.top.get("holiday_extensions", [])
        if not isinstance(raw_extensions, list):
            self.errors.add("holiday_extensions", "must be a list")
            raw_extensions = []
        for i, raw in enumerate(raw_extensions):
            path = f"holiday_extensions.{i}"
            entry = self.mapping(raw, path, ("ordered_from", "ordered_to", "return_by"))
            dates = {
                key: self.iso_date(entry.get(key), f"{path}.{key}")
                for key in ("ordered_from", "ordered_to", "return_by")
            }
            start, end, until = dates["ordered_from"], dates["ordered_to"], dates["return_by"]
            if start is None or end is None or until is None:
                continue
            if start > end:
                self.errors.add(f"{path}.ordered_to", "must not be before ordered_from")
                continue
            extensions.append(HolidayExtension(start, end, until))
        extensions.sort(key=lambda e: (e.ordered_from, e.ordered_to, e.return_by))
        self.out["holiday_extensions"] = [
            {
                "ordered_from": e.ordered_from.isoformat(),
                "ordered_to": e.ordered_to.isoformat(),
                "return_by": e.return_by.isoformat(),
            }
            for e in extensions
        ]

    def read_final_sale(self) -> None:
        """Read the SKUs the merchant marks final sale."""
        if "final_sale_skus" in self.top:
            self.out["final_sale_skus"] = sorted(
                set(self.string_list(self.top["final_sale_skus"], "final_sale_skus"))
            )

    def read_defect(self) -> None:
        """Read the defect window; refuse one shorter than the pack's window."""
        defect = self.mapping(
            self.top.get("defect", {}), "defect", ("window_days", "photos_required")
        )
        if "window_days" in defect:
            days = self.integer(defect["window_days"], "defect.window_days", 1)
            if days is not None:
                self.out["defect"]["window_days"] = days
                if days < self.pack.days:
                    self.violations.append(
                        Violation(
                            "defect.window_days",
                            self.pack.right,
                            f"a {days}-day defect window is shorter than "
                            f"the statutory {self.pack.days} days",
                        )
                    )
        if "photos_required" in defect:
            photos = self.boolean(defect["photos_required"], "defect.photos_required")
            if photos is not None:
                self.out["defect"]["photos_required"] = photos

    def read_restocking_fees(self) -> None:
        """Read restocking fees; refuse any that would apply to statutory returns."""
        restock = self.mapping(
            self.top.get("restocking_fee", {}), "restocking_fee", ("categories", "default")
        )
        fees = self.mapping(restock.get("categories", {}), "restocking_fee.categories", None)
        for key, value in fees.items():
            fee, found = _fee(self, value, f"restocking_fee.categories.{key}", self.pack)
            self.out["restocking_fee"]["categories"][normalise_category(key)] = fee
            self.violations.extend(found)
        fee, found = _fee(self, restock.get("default"), "restocking_fee.default", self.pack)
        self.out["restocking_fee"]["default"] = fee
        self.violations.extend(found)

    def read_return_shipping(self) -> None:
        """Read who pays return shipping and what the label costs."""
        shipping = self.mapping(
            self.top.get("return_shipping", {}),
            "return_shipping",
            ("paid_by", "label_cost", "free_above"),
        )
        if "paid_by" in shipping:
            paid_by = shipping["paid_by"]
            if paid_by in PAID_BY:
                self.out["return_shipping"]["paid_by"] = paid_by
            else:
                self.errors.add("return_shipping.paid_by", f"must be one of {', '.join(PAID_BY)}")
        if "label_cost" in shipping:
            cost = self.integer(shipping["label_cost"], "return_shipping.label_cost")
            self.out["return_shipping"]["label_cost"] = cost if cost is not None else 0
        if "free_above" in shipping:
            self.out["return_shipping"]["free_above"] = self.optional_integer(
                shipping["free_above"], "return_shipping.free_above"
            )

    def read_methods(self) -> None:
        """Read the return methods offered."""
        if "methods" in self.top:
            self.out["methods"] = self.choices(
                self.top["methods"], "methods", tuple(m.value for m in ReturnMethod)
            )

    def read_resolutions(self) -> None:
        """Read the resolutions offered, the store-credit bonus and exchange-only categories."""
        resolutions = self.mapping(
            self.top.get("resolutions", {}),
            "resolutions",
            ("allowed", "store_credit_bonus_percent", "exchange_only_categories"),
        )
        if "allowed" in resolutions:
            self.out["resolutions"]["allowed"] = self.choices(
                resolutions["allowed"], "resolutions.allowed", tuple(r.value for r in Resolution)
            )
        if "store_credit_bonus_percent" in resolutions:
            bonus = self.integer(
                resolutions["store_credit_bonus_percent"], "resolutions.store_credit_bonus_percent"
            )
            self.out["resolutions"]["store_credit_bonus_percent"] = bonus or 0
        if "exchange_only_categories" in resolutions:
            categories = self.string_list(
                resolutions["exchange_only_categories"], "resolutions.exchange_only_categories"
            )
            self.out["resolutions"]["exchange_only_categories"] = sorted(
                {normalise_category(c) for c in categories}
            )

    def read_refund_deadline(self) -> None:
        """Read the refund deadline; refuse one later than the pack's."""
        if self.top.get("refund_within_days") is not None:
            days = self.integer(self.top["refund_within_days"], "refund_within_days", 1)
            self.out["refund_within_days"] = days
            if days is not None and days > self.pack.refund_days:
                self.violations.append(
                    Violation(
                        "refund_within_days",
                        self.pack.refund_right,
                        f"{days} days is longer than the statutory {self.pack.refund_days} days",
                    )
                )

    def read_approval(self) -> None:
        """Read the refund approval thresholds."""
        approval = self.mapping(
            self.top.get("approval", {}), "approval", ("auto_approve_below", "two_approvers_above")
        )
        for key in ("auto_approve_below", "two_approvers_above"):
            if key in approval:
                self.out["approval"][key] = self.optional_integer(approval[key], f"approval.{key}")
        below, above = (
            self.out["approval"]["auto_approve_below"],
            self.out["approval"]["two_approvers_above"],
        )
        if below is not None and above is not None and above < below:
            self.errors.add("approval.two_approvers_above", "must not be below auto_approve_below")

    def read_abuse(self) -> None:
        """Read the abuse limit that sends returns to review."""
        abuse = self.mapping(self.top.get("abuse", {}), "abuse", ("max_returns", "within_days"))
        if "max_returns" in abuse:
            self.out["abuse"]["max_returns"] = self.optional_integer(
                abuse["max_returns"], "abuse.max_returns", 1
            )
        if "within_days" in abuse:
            within = self.integer(abuse["within_days"], "abuse.within_days", 1)
            self.out["abuse"]["within_days"] = within if within is not None else 90


def load_policy(doc: Mapping[str, Any], version: int | None = None) -> Policy:
    """Validate a merchant document over its pack; raise PolicyInputError or PolicyRefused."""
    if not isinstance(doc, Mapping):
        raise PolicyInputError({"": ["the policy document must be an object"]})
    loader = _Loader(doc)
    for section in (
        loader.read_zone,
        loader.read_holidays,
        loader.read_windows,
        loader.read_holiday_extensions,
        loader.read_final_sale,
        loader.read_defect,
        loader.read_restocking_fees,
        loader.read_return_shipping,
        loader.read_methods,
        loader.read_resolutions,
        loader.read_refund_deadline,
        loader.read_approval,
        loader.read_abuse,
    ):
        section()
    loader.errors.raise_if_any()
    if loader.violations:
        raise PolicyRefused(loader.violations)
    assert loader.tz is not None  # an unknown time zone is a violation, a missing one an error
    return _build(loader.out, loader.pack, loader.tz, version)


def _parse_fee(value: Mapping[str, Any] | None) -> Fee | None:
    if value is None:
        return None
    return Fee(percent=value.get("percent"), fixed=value.get("fixed"))


def _build(out: dict[str, Any], pack: Pack, tz: ZoneInfo, version: int | None) -> Policy:
    """Turn a validated canonical document into a Policy."""
    text = canonical_json(out)
    document = copy.deepcopy(out)
    return Policy(
        pack=pack.code,
        version=version,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rules=pack,
        timezone=tz,
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
        methods=tuple(ReturnMethod(m) for m in document["methods"]),
        resolutions=tuple(Resolution(r) for r in document["resolutions"]["allowed"]),
        store_credit_bonus_percent=document["resolutions"]["store_credit_bonus_percent"],
        exchange_only_categories=frozenset(document["resolutions"]["exchange_only_categories"]),
        refund_within_days=document["refund_within_days"],
        auto_approve_below=document["approval"]["auto_approve_below"],
        two_approvers_above=document["approval"]["two_approvers_above"],
        abuse_max_returns=document["abuse"]["max_returns"],
        abuse_within_days=document["abuse"]["within_days"],
        canonical_json=text,
    )
