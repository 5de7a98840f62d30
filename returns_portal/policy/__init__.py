"""The return-policy engine: pure Python rules from RULES.md, with reasons for every decision.

Imports nothing from Flask, SQLAlchemy or the rest of the portal: it takes dataclasses and
returns decisions, so it can be tested and reasoned about on its own.
"""

from returns_portal.policy.calendars import add_months, end_of_day, local_date, roll_to_working_day
from returns_portal.policy.document import (
    Fee,
    HolidayExtension,
    Policy,
    default_document,
    load_policy,
)
from returns_portal.policy.engine import (
    Deduction,
    Evaluation,
    LineDecision,
    RefundBreakdown,
    RefundLine,
    decide_lines,
    evaluate,
)
from returns_portal.policy.errors import PolicyInputError, PolicyRefused, Violation
from returns_portal.policy.explain import format_evaluation
from returns_portal.policy.facts import (
    FAULT_REASONS,
    ConfirmationExclusion,
    Inspection,
    LineFindings,
    OrderFacts,
    OrderLine,
    Parcel,
    Product,
    RequestedLine,
    Resolution,
    ReturnMethod,
    ReturnReason,
    ReturnRequest,
)
from returns_portal.policy.money import (
    Money,
    allocate,
    format_money,
    line_paid_amounts,
    minor_digits,
    order_discount_share,
    unit_share,
)
from returns_portal.policy.packs import (
    CN_7DAY,
    DEFAULT_PACK,
    EU_14DAY,
    PACKS,
    ChecklistQuestion,
    Pack,
    checklist,
    line_checklist,
)
from returns_portal.policy.parse import parse_inspection, parse_request, validate_request
from returns_portal.policy.reasons import N_, Param, Reason

__all__ = [
    "CN_7DAY",
    "DEFAULT_PACK",
    "EU_14DAY",
    "FAULT_REASONS",
    "N_",
    "PACKS",
    "ChecklistQuestion",
    "ConfirmationExclusion",
    "Deduction",
    "Evaluation",
    "Fee",
    "HolidayExtension",
    "Inspection",
    "LineDecision",
    "LineFindings",
    "Money",
    "OrderFacts",
    "OrderLine",
    "Pack",
    "Param",
    "Parcel",
    "Policy",
    "PolicyInputError",
    "PolicyRefused",
    "Product",
    "Reason",
    "RefundBreakdown",
    "RefundLine",
    "RequestedLine",
    "Resolution",
    "ReturnMethod",
    "ReturnReason",
    "ReturnRequest",
    "Violation",
    "add_months",
    "allocate",
    "checklist",
    "decide_lines",
    "default_document",
    "end_of_day",
    "evaluate",
    "format_evaluation",
    "format_money",
    "line_checklist",
    "line_paid_amounts",
    "load_policy",
    "local_date",
    "minor_digits",
    "order_discount_share",
    "parse_inspection",
    "parse_request",
    "roll_to_working_day",
    "unit_share",
    "validate_request",
]
