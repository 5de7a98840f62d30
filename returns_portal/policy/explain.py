"""Plain-text reports of an evaluation, for merchants and auditors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from returns_portal.policy.decisions import LineDecision
from returns_portal.policy.engine import Evaluation
from returns_portal.policy.money import format_money


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _decision_lines(decision: LineDecision, tz: ZoneInfo) -> list[str]:
    if decision.eligible:
        verdict = "eligible (statutory right)" if decision.statutory else "eligible"
    else:
        verdict = "refused"
    out = [f"  {decision.line_id}: {verdict}, {decision.remaining_qty} unit(s) still returnable"]
    if decision.last_day is not None and decision.closes_at is not None:
        out.append(
            f"    last day {decision.last_day.isoformat()}; "
            f"window closes {_local(decision.closes_at, tz)}"
        )
    if decision.defect_last_day is not None:
        out.append(f"    faults can be reported until {decision.defect_last_day.isoformat()}")
    out.extend(f"    - {item.text}" for item in decision.reasons)
    return out


def format_evaluation(ev: Evaluation, tz: str) -> str:
    """Return a plain-text report of `ev`, with times in the store's time zone `tz`."""
    zone = ZoneInfo(tz)
    refund = ev.refund

    def money(amount: int) -> str:
        return format_money(amount, refund.currency)

    version = "unversioned" if ev.policy_version is None else f"v{ev.policy_version}"
    out = [
        f"Return evaluation for order {ev.order_number}",
        f"Policy: {ev.pack} {version} (digest {ev.policy_digest[:12]})",
        f"Store time zone: {tz}",
        "",
        "Lines",
    ]
    for decision in ev.decisions:
        out.extend(_decision_lines(decision, zone))

    rows: list[tuple[str, str, str]] = []
    for line in refund.lines:
        label = f"{line.line_id} x{line.quantity} ({line.resolution.value})"
        rows.append((label, money(line.items), ""))
        rows.append((f"  tax on {line.line_id}", money(line.tax), ""))
    rows.append(("Shipping refunded", money(refund.shipping), ""))
    for deduction in refund.deductions:
        where = f" on {deduction.line_id}" if deduction.line_id else ""
        rows.append(
            (f"Less {deduction.code}{where}", money(-deduction.amount), deduction.reason.text)
        )
    rows.append(("Total", money(refund.total), ""))
    rows.append(("Bonus store credit (not in total)", money(refund.bonus_credit), ""))

    width = max(len(label) for label, _, _ in rows)
    amount_width = max(len(amount) for _, amount, _ in rows)
    out += ["", f"Refund ({refund.currency})"]
    for label, amount, note in rows:
        row = f"  {label.ljust(width)}  {amount.rjust(amount_width)}"
        out.append(f"{row}  {note}" if note else row)

    out.append(f"  Approval: {refund.approval}")
    if refund.refund_due_by is not None:
        out.append(f"  Refund due by: {refund.refund_due_by.isoformat()}")
    else:
        due = next((x for x in refund.reasons if x.code == "refund_due_after_receipt"), None)
        out.append(f"  Refund due: {due.text if due else 'not set'}")
    # The due date was printed above; the other notes explain amounts and terms.
    notes = [
        x for x in refund.reasons if x.code not in {"refund_due_by", "refund_due_after_receipt"}
    ]
    if notes:
        out += ["", "Refund notes"]
        out.extend(f"  - {item.text}" for item in notes)
    if ev.needs_review or ev.reasons:
        out += ["", "Review" if ev.needs_review else "Notes"]
        # A fired abuse rule is named by its code, so the merchant can find it in the policy.
        rules = {id(flag.reason): flag.code for flag in ev.abuse}
        out.extend(
            f"  - abuse rule {rules[id(item)]}: {item.text}"
            if id(item) in rules
            else f"  - {item.text}"
            for item in ev.reasons
        )
    if ev.returnless is not None:
        out += ["", "Keep the items", f"  - {ev.returnless.text}"]
    return "\n".join(out) + "\n"
