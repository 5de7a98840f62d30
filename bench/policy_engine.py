"""How long the policy engine takes per order: eligibility of every line, and a full evaluation.

Prints p50/p99 in microseconds over the demo orders; no database involved.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from returns_portal import policy
from returns_portal.orders.demo import DEMO_POLICY, demo_order
from returns_portal.orders.services import parse_order
from returns_portal.store.services import order_facts

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROUNDS = 40


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    rules = policy.load_policy(DEMO_POLICY, version=1)
    orders = [order_facts(parse_order(demo_order(i, NOW))) for i in range(48)]
    requests = [
        policy.ReturnRequest(
            requested_at=NOW + timedelta(hours=1),
            lines=tuple(
                policy.RequestedLine(line.line_id, line.quantity, policy.ReturnReason.CHANGED_MIND)
                for line in order.lines
                if line.gift_of is None
            ),
        )
        for order in orders
    ]
    decide: list[float] = []
    evaluate: list[float] = []
    for _ in range(ROUNDS):
        for order, request in zip(orders, requests, strict=True):
            start = time.perf_counter()
            policy.decide_lines(order, rules, NOW)
            middle = time.perf_counter()
            policy.evaluate(order, request, rules)
            end = time.perf_counter()
            decide.append((middle - start) * 1e6)
            evaluate.append((end - middle) * 1e6)
    lines = statistics.mean(len(order.lines) for order in orders)
    print(f"policy engine, {len(decide)} runs over 48 demo orders ({lines:.1f} lines each):")
    for name, samples in (("decide_lines", decide), ("evaluate", evaluate)):
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"  {name:<13} p50 {p50:7.0f} µs   p99 {p99:7.0f} µs")


if __name__ == "__main__":
    main()
