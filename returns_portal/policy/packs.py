"""Statutory rule packs: windows, legal exclusions and condition checklists (RULES.md)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from returns_portal.policy import reasons as r
from returns_portal.policy.calendars import roll_to_working_day
from returns_portal.policy.facts import Product, ReturnReason
from returns_portal.policy.reasons import N_, Reason, reason

CN_7DAY = "cn-7day"
EU_14DAY = "eu-14day"
DEFAULT_PACK = CN_7DAY


@dataclass(frozen=True)
class Pack:
    """The law a merchant sells under, as the engine needs it."""

    code: str
    days: int  # the no-reason / withdrawal window
    refund_days: int  # the refund deadline
    right: str  # the statutory right, named for refusals
    refund_right: str
    counts_from_last_parcel: bool  # EU: the last parcel of the order starts the period
    rolls_to_working_day: bool  # EU: Reg. 1182/71 end-of-period rule
    refund_counts_from_receipt: bool  # CN: from receiving the goods; EU: from the withdrawal
    confirmation_exclusions: bool  # CN only: exclusions the customer confirmed at purchase
    default_timezone: str

    def last_day(self, event_day: date, days: int, holidays: Collection[date]) -> date:
        """Return the last day of a `days`-long period started by an event on `event_day`."""
        # RULES.md cn-7day: counting starts the day after signing, so the last day is
        # event + days. RULES.md eu-14day (1182/71): the event day is not counted, the period
        # ends at the end of its last day, rolled past weekends and public holidays.
        last = event_day + timedelta(days=days)
        if self.rolls_to_working_day:
            return roll_to_working_day(last, holidays)
        return last


PACKS: dict[str, Pack] = {
    CN_7DAY: Pack(
        code=CN_7DAY,
        days=7,
        refund_days=7,
        right="cn-7day: 7-day no-reason return (RULES.md)",
        refund_right="cn-7day: refund within 7 days of receiving the returned goods (RULES.md)",
        counts_from_last_parcel=False,
        rolls_to_working_day=False,
        refund_counts_from_receipt=True,
        confirmation_exclusions=True,
        default_timezone="Asia/Shanghai",
    ),
    EU_14DAY: Pack(
        code=EU_14DAY,
        days=14,
        refund_days=14,
        right="eu-14day: 14-day right of withdrawal (RULES.md)",
        refund_right="eu-14day: reimbursement within 14 days of the withdrawal (RULES.md)",
        counts_from_last_parcel=True,
        rolls_to_working_day=True,
        refund_counts_from_receipt=False,
        confirmation_exclusions=False,
        default_timezone="Europe/Brussels",
    ),
}


@dataclass(frozen=True)
class ChecklistQuestion:
    """One condition check the warehouse answers for a returned line."""

    code: str
    text: str  # translatable; phrased so that "yes" means the check passed
    breaks_intact: bool = True  # a failed answer makes the item not intact


Q_NOT_USED_BEYOND_TRIAL = ChecklistQuestion(
    "not_used_beyond_trial", N_("Not used beyond what a necessary trial needs.")
)
Q_NO_UNAUTHORISED_REPAIR = ChecklistQuestion(
    "no_unauthorised_repair", N_("No unauthorised repair or modification.")
)
Q_LABELS_AND_SERIALS_INTACT = ChecklistQuestion(
    "labels_and_serials_intact",
    N_("Certification marks, labels and serial numbers are intact and unaltered."),
)
Q_NO_PERMANENT_USAGE_MARKS = ChecklistQuestion(
    "no_permanent_usage_marks", N_("No usage marks that cannot be undone.")
)
Q_NOT_ACTIVATED_OR_BOUND = ChecklistQuestion(
    "not_activated_or_bound",
    N_("Not activated, not bound to an account, and no personal data left on the device."),
)
Q_BRAND_TAG_ATTACHED = ChecklistQuestion(
    "brand_tag_attached", N_("The brand tag is attached, not removed or cut.")
)
Q_CLEAN_AND_UNDAMAGED = ChecklistQuestion(
    "clean_and_undamaged", N_("Clean, not soiled and undamaged.")
)
Q_ACCESSORIES_COMPLETE = ChecklistQuestion(
    "accessories_complete", N_("The item and all its accessories are complete.")
)
# A missing gift is charged at its stated price, not a reason to refuse the item
# (RULES.md cn-7day "Gifts"), so this answer does not break "intact".
Q_GIFTS_RETURNED = ChecklistQuestion(
    "gifts_returned", N_("All free gifts that came with it were returned."), breaks_intact=False
)
Q_SEAL_INTACT = ChecklistQuestion("seal_intact", N_("The seal is unbroken."))
# A "wrong item" or "not as described" claim is checked too: "no" refutes it (the item is
# the one ordered, as described). It decides no refund (a fault claim is not held to the
# condition check); the abuse rule `refuted_claims` counts the refuted ones.
Q_WRONG_ITEM_CONFIRMED = ChecklistQuestion(
    "wrong_item_confirmed",
    N_("The item is not the one that was ordered, as the customer reported."),
    breaks_intact=False,
)
Q_NOT_AS_DESCRIBED_CONFIRMED = ChecklistQuestion(
    "not_as_described_confirmed",
    N_("The item differs from its description, as the customer reported."),
    breaks_intact=False,
)
CLAIM_CHECKS: dict[ReturnReason, ChecklistQuestion] = {
    ReturnReason.WRONG_ITEM: Q_WRONG_ITEM_CONFIRMED,
    ReturnReason.NOT_AS_DESCRIBED: Q_NOT_AS_DESCRIBED_CONFIRMED,
}

ALL_QUESTIONS: tuple[ChecklistQuestion, ...] = (
    Q_NOT_USED_BEYOND_TRIAL,
    Q_NO_UNAUTHORISED_REPAIR,
    Q_LABELS_AND_SERIALS_INTACT,
    Q_NO_PERMANENT_USAGE_MARKS,
    Q_NOT_ACTIVATED_OR_BOUND,
    Q_BRAND_TAG_ATTACHED,
    Q_CLEAN_AND_UNDAMAGED,
    Q_ACCESSORIES_COMPLETE,
    Q_GIFTS_RETURNED,
    Q_SEAL_INTACT,
    Q_WRONG_ITEM_CONFIRMED,
    Q_NOT_AS_DESCRIBED_CONFIRMED,
)
QUESTION_CODES = frozenset(q.code for q in ALL_QUESTIONS)

# RULES.md cn-7day "Condition: the goods must be intact": the Measures' per-category tests.
_TRIAL_GOODS = frozenset({"food", "cosmetics", "medical", "family_planning"})
_ELECTRONICS = frozenset({"electronics", "appliances"})
_SOFT_GOODS = frozenset({"apparel", "shoes", "bags", "toys", "home_textiles", "home"})


def normalise_category(category: str) -> str:
    """Return the category key the policy compares: trimmed, lower case."""
    return category.strip().lower()


def checklist(category: str) -> tuple[ChecklistQuestion, ...]:
    """Return the cn-7day intactness questions for a product category."""
    key = normalise_category(category)
    specific: tuple[ChecklistQuestion, ...] = ()
    if key in _TRIAL_GOODS:
        specific = (Q_NOT_USED_BEYOND_TRIAL,)
    elif key in _ELECTRONICS:
        specific = (
            Q_NO_UNAUTHORISED_REPAIR,
            Q_LABELS_AND_SERIALS_INTACT,
            Q_NO_PERMANENT_USAGE_MARKS,
            Q_NOT_ACTIVATED_OR_BOUND,
        )
    elif key in _SOFT_GOODS:
        specific = (Q_BRAND_TAG_ATTACHED, Q_CLEAN_AND_UNDAMAGED)
    # Intact means the item, its accessories and gifts complete, whatever the category.
    return (*specific, Q_ACCESSORIES_COMPLETE, Q_GIFTS_RETURNED)


def line_checklist(
    pack: Pack, product: Product, return_reason: ReturnReason | str | None = None
) -> tuple[ChecklistQuestion, ...]:
    """Return the questions the warehouse must answer for `product` under `pack`, with the
    check of the customer's claim when `return_reason` is one the inspection can refute."""
    claim = CLAIM_CHECKS.get(ReturnReason(return_reason)) if return_reason else None
    claimed = (claim,) if claim is not None else ()
    if pack.code == CN_7DAY:
        questions = checklist(product.category)
        if product.sealed_media:
            questions = (*questions, Q_SEAL_INTACT)
        return (*questions, *claimed)
    # eu-14day has no "intact" condition (diminished value instead); only the seal matters.
    if product.sealed_media or product.hygiene_sealed:
        return (Q_SEAL_INTACT, *claimed)
    return claimed


@dataclass(frozen=True)
class ProductAssessment:
    """What the pack says about a product, whatever the window."""

    exclusions: tuple[Reason, ...]  # no no-reason return at all
    notes: tuple[Reason, ...]  # conditions the customer should know
    seal_failure: Reason | None  # why a broken seal found at inspection refuses the refund


def assess_product(pack: Pack, product: Product) -> ProductAssessment:
    """Apply the pack's exclusions (RULES.md) to `product`."""
    exclusions: list[Reason] = []
    notes: list[Reason] = []
    seal_failure: Reason | None = None
    # RULES.md cn-7day "Excluded by law" 1-4 and eu-14day "Excluded (Art. 16)".
    if product.custom_made:
        exclusions.append(reason("excluded_custom_made", r.EXCLUDED_CUSTOM_MADE))
    if product.perishable:
        exclusions.append(reason("excluded_perishable", r.EXCLUDED_PERISHABLE))
    if product.digital_download:
        exclusions.append(reason("excluded_digital_download", r.EXCLUDED_DIGITAL_DOWNLOAD))
    if product.periodical:
        exclusions.append(reason("excluded_periodical", r.EXCLUDED_PERIODICAL))
    if product.sealed_media:
        # Excluded only once unsealed: returnable at request, refused if the seal is broken.
        notes.append(reason("sealed_media_must_stay_sealed", r.SEALED_MEDIA_MUST_STAY_SEALED))
        seal_failure = reason("excluded_unsealed_media", r.EXCLUDED_UNSEALED_MEDIA)
    if product.hygiene_sealed and pack.code == EU_14DAY:
        # Art. 16(e); cn-7day covers such goods through confirmed exclusions instead.
        notes.append(reason("hygiene_must_stay_sealed", r.HYGIENE_MUST_STAY_SEALED))
        if seal_failure is None:
            seal_failure = reason("excluded_hygiene_sealed", r.EXCLUDED_HYGIENE_SEALED)
    if pack.confirmation_exclusions and product.confirmation_exclusion is not None:
        # RULES.md cn-7day: without a recorded confirmation the exclusion does not apply.
        kind = product.confirmation_exclusion
        if product.exclusion_confirmed:
            template = r.EXCLUDED_ON_CONFIRMATION[kind.value]
            exclusions.append(reason("excluded_on_confirmation", template, kind=kind.value))
        else:
            notes.append(
                reason("exclusion_not_confirmed", r.EXCLUSION_NOT_CONFIRMED, kind=kind.value)
            )
    return ProductAssessment(tuple(exclusions), tuple(notes), seal_failure)
