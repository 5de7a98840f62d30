"""How long the returns desk takes to find returns among a million orders (issue 12).

Builds a PostgreSQL database with the migrations, fills it with SQL (1,000,000 orders and
200,000 returns by default: `--orders N`, returns are a fifth of it), then times
`search_returns` for each kind of query the desk offers, and `status_counts` alone. Each
figure is printed with its ratio to a bare indexed `SELECT … FROM orders WHERE number = :n`
through the same engine, measured in the same run (the ceiling), with what
`EXPLAIN (ANALYZE, BUFFERS)` says of its statements, so a missing index shows as a Seq Scan
of a big table.

The quality bar: every search (one page of 50 and the count of each status, which the list
shows on top) answers in 50 ms or less at p99 with 1,000,000 orders on a 2-core box. Rows
over it print SLOW; the run does not fail on them. A Latin name is looked up from three
letters on (desk.queries.name_searchable): "Ma" begins 86,000 orders' names, and finding
the returns of that many orders cost ~145 ms at p99; two letters now match names no more,
and the row shows what that costs (RMA, order and tracking numbers are still tried).

Runs on BENCH_DATABASE_URL (an empty PostgreSQL database, kept afterwards), or creates
`returns_portal_bench` on postgresql+psycopg://postgres@127.0.0.1:5432 and drops it at the
end. Skips itself, saying so, when PostgreSQL is not reachable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from config import TestingConfig
from returns_portal import create_app
from returns_portal.desk.queries import Filters, search_returns, status_counts
from returns_portal.extensions import db

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "returns_portal_bench"
ORDERS = 1_000_000
CHUNK = 100_000  # orders per INSERT, one progress line each
BAR_MS = 50.0
ROUNDS = 200
WARM_UP = 20
SAMPLES = 100  # distinct returns whose numbers, e-mails and names are searched for
BIG_TABLES = (
    "orders",
    "order_lines",
    "returns",
    "return_items",
    "shipments",
    "inspections",
    "audit_events",
)

# --- filling ---------------------------------------------------------------------------------

# Customers' names: Latin "Given Surname" and Chinese "姓名", picked with a skew (the first
# entries are the most common: random()^1.5 favours low indexes) so a few surnames and
# given names cover many orders, as in a real customer base.
GIVEN = [
    "Maria", "John", "Anna", "David", "Laura", "Michael", "Sarah", "James", "Elena", "Peter",
    "Sofia", "Daniel", "Ana", "Robert", "Julia", "Thomas", "Emma", "Andrei", "Ioana", "Carlos",
    "Lucia", "Mark", "Paula", "Alex", "Mihai", "Olivia", "Pablo", "Chloe", "Victor", "Irina",
    "George", "Marta", "Luis", "Nina", "Adrian", "Clara", "Jorge", "Eva", "Stefan", "Rosa",
]  # fmt: skip
SURNAMES = [
    "Smith", "Garcia", "Popescu", "Martinez", "Brown", "Lopez", "Johnson", "Ionescu",
    "Rodriguez", "Williams", "Fernandez", "Jones", "Sanchez", "Miller", "Perez", "Davis",
    "Gomez", "Wilson", "Radu", "Moore", "Diaz", "Taylor", "Munteanu", "Anderson", "Ruiz",
    "Thomas", "Stan", "Jackson", "Alvarez", "White", "Romero", "Harris", "Dumitru", "Martin",
    "Torres", "Thompson", "Moreno", "Clark", "Stoica", "Lewis", "Navarro", "Walker", "Gheorghe",
    "Hall", "Molina", "Young", "Matei", "King", "Ortiz", "Wright",
]  # fmt: skip
CN_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗")
CN_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")


def _sql_array(words: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


# Statuses with their share of the returns, and whether the parcel was sent (a shipment with a
# tracking number exists). Open returns are recent; finished ones spread over two years.
STATUS_SHARES = (
    ("closed", 0.34, True),
    ("resolved", 0.12, True),
    ("inspected", 0.05, True),
    ("received", 0.05, True),
    ("in_transit", 0.08, True),
    ("awaiting_shipment", 0.10, True),
    ("requested", 0.03, False),
    ("needs_review", 0.03, False),
    ("cancelled", 0.08, False),
    ("rejected", 0.04, True),
    ("expired", 0.08, True),
)
OPEN = ("requested", "needs_review", "awaiting_shipment", "in_transit", "received", "inspected")
REASONS = (  # weights: sizes and changed minds are the usual reasons
    ("too_small", 20), ("too_large", 18), ("changed_mind", 17), ("no_reason", 8),
    ("not_as_described", 9), ("defective", 10), ("damaged_in_transit", 5), ("wrong_item", 5),
    ("arrived_late", 3), ("other", 5),
)  # fmt: skip
RMA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # as returns.services.lifecycle


def _status_case() -> str:
    cases, total = [], 0.0
    for status, share, _sent in STATUS_SHARES:
        total += share
        cases.append(f"WHEN u < {total:.4f} THEN '{status}'")
    return "CASE " + " ".join(cases) + " ELSE 'closed' END"


def _reason_case(column: str) -> str:
    total, weight = sum(w for _r, w in REASONS), 0
    cases = []
    for reason, w in REASONS:
        weight += w
        cases.append(f"WHEN {column} < {weight / total:.4f} THEN '{reason}'")
    return "CASE " + " ".join(cases) + " ELSE 'other' END"


def _rma_number(column: str) -> str:
    """SQL for a distinct RMA number from an id: a bijection of the id onto 29^6 values, read
    in base 29 over the RMA alphabet (R-XXXX-XX)."""
    spread = f"mod({column}::bigint * 387420489 + 1234567, 594823321)"
    digits = [
        f"substr('{RMA_ALPHABET}', mod({spread} / {29**k}, 29)::int + 1, 1)" for k in range(6)
    ]
    return "'R-' || " + " || ".join(digits[:4]) + " || '-' || " + " || ".join(digits[4:])


def _steps(orders: int) -> Iterator[tuple[str, str]]:
    """The SQL that fills the database, step by step (a description and its statement)."""
    returns = orders // 5
    sent = ", ".join(f"'{s}'" for s, _share, was_sent in STATUS_SHARES if was_sent)
    open_ = ", ".join(f"'{s}'" for s in OPEN)
    yield (
        f"plan {returns:,} returns",
        f"""
        CREATE TEMP TABLE bench_plan AS
        SELECT id, id * 5 AS order_id, status, u2, u3, u4,
               CASE WHEN status IN ({open_})
                    THEN now() - interval '1 hour' - v * interval '30 days'
                    ELSE now() - interval '20 days' - v * interval '700 days' END AS requested_at,
               status IN ({sent}) AND u2 < 0.95 AS sent
        FROM (SELECT id, u, {_status_case()} AS status, random() AS v, random() AS u2,
                     random() AS u3, random() AS u4
              FROM (SELECT id, random() AS u FROM generate_series(1, {returns}) id) s) p;
        ALTER TABLE bench_plan ADD PRIMARY KEY (order_id);
        ANALYZE bench_plan
        """,
    )
    given, surnames = _sql_array(GIVEN), _sql_array(SURNAMES)
    cn_surnames, cn_given = _sql_array(CN_SURNAMES), _sql_array(CN_GIVEN)
    for start in range(1, orders + 1, CHUNK):
        end = min(orders, start + CHUNK - 1)
        yield (
            f"orders {start:,}–{end:,}",
            f"""
            INSERT INTO orders (id, number, email, customer_name, postal_code, country, locale,
                currency, placed_at, order_discount, shipping_paid, standard_shipping,
                withdrawal_info_given, return_costs_disclosed, shipping_address, created_at,
                updated_at)
            SELECT g, (1000000 + g)::text,
                   CASE WHEN cn THEN 'user' || g || '@qq.com'
                        ELSE lower(given) || '.' || lower(surname) || g || '@example.com' END,
                   CASE WHEN cn THEN cn_surname || cn_given ELSE given || ' ' || surname END,
                   '200120', 'CN', CASE WHEN cn THEN 'zh_Hans' ELSE 'en' END, 'CNY',
                   placed, 0, 0, 800, true, true, '{{}}'::jsonb, placed, placed
            FROM (
                SELECT g, random() < 0.3 AS cn,
                       ({given})[1 + floor(random() ^ 1.5 * {len(GIVEN)})::int] AS given,
                       ({surnames})[1 + floor(random() ^ 1.5 * {len(SURNAMES)})::int] AS surname,
                       ({cn_surnames})[1 + floor(random() ^ 1.5 * {len(CN_SURNAMES)})::int]
                           AS cn_surname,
                       ({cn_given})[1 + floor(random() * {len(CN_GIVEN)})::int]
                           || ({cn_given})[1 + floor(random() * {len(CN_GIVEN)})::int]
                           AS cn_given,
                       coalesce(p.requested_at - interval '2 days' - random() * interval '12 days',
                                now() - random() * interval '730 days') AS placed
                FROM generate_series({start}, {end}) g
                LEFT JOIN bench_plan p ON p.order_id = g
            ) o
            """,
        )
    yield (
        "order lines (two for each order with a return)",
        """
        INSERT INTO order_lines (id, order_id, line_ref, position, sku, product_name, category,
            quantity, unit_price, line_discount, tax, custom_made, perishable, digital_download,
            sealed_media, periodical, hygiene_sealed, final_sale, exclusion_confirmed,
            gift_value)
        SELECT p.id * 2 - 2 + n, p.order_id, 'L' || n, n, 'SKU-' || mod(p.id, 500) || '-' || n,
               'T-shirt', 'apparel', 1, 9900, 0, 0, false, false, false, false, false, false,
               false, false, 0
        FROM bench_plan p CROSS JOIN generate_series(1, 2) n
        """,
    )
    yield (
        "returns",
        f"""
        INSERT INTO returns (id, number, order_id, status, method, locale, needs_review,
            estimate, requested_at, updated_at, closed_at, carrier, service, returnless)
        SELECT id, {_rma_number("id")}, order_id, status,
               CASE WHEN u3 < 0.7 THEN 'label' ELSE 'qr_dropoff' END, 'en',
               status = 'needs_review' OR u4 < 0.03, '{{}}'::jsonb, requested_at,
               requested_at + (now() - requested_at) * u4,
               CASE WHEN status = 'closed' THEN requested_at + (now() - requested_at) * u4 END,
               CASE WHEN sent THEN CASE WHEN u3 < 0.6 THEN 'swift' ELSE 'blue' END END,
               CASE WHEN sent THEN 'standard' END, false
        FROM bench_plan
        """,
    )
    yield (
        "return items (one or two each; reasons and resolutions mixed)",
        f"""
        INSERT INTO return_items (return_id, order_line_id, quantity, reason, reason_note,
            resolution, photos)
        SELECT id, id * 2 - 2 + n, 1, {_reason_case("r")}, '',
               CASE WHEN s < 0.6 THEN 'refund' WHEN s < 0.85 THEN 'store_credit'
                    ELSE 'exchange' END, '[]'::jsonb
        FROM (SELECT p.id, n, random() AS r, random() AS s
              FROM bench_plan p CROSS JOIN generate_series(1, 2) n
              WHERE n = 1 OR p.u2 < 0.3) i
        """,
    )
    yield (
        "shipments (a tracking number for most returns sent)",
        """
        INSERT INTO shipments (return_id, carrier, service, tracking_number, label_cost, currency,
            status, created_at, voided_at)
        SELECT id, CASE WHEN u3 < 0.6 THEN 'swift' ELSE 'blue' END, 'standard',
               CASE WHEN u3 < 0.6 THEN 'SP' ELSE 'BP' END
                   || lpad(mod(id::bigint * 7919, 100000000)::text, 8, '0') || mod(id, 10) || 'CN',
               800, 'CNY',
               CASE status WHEN 'awaiting_shipment' THEN 'label_created'
                           WHEN 'in_transit' THEN 'in_transit'
                           WHEN 'expired' THEN 'voided' ELSE 'delivered' END,
               requested_at + interval '1 hour',
               CASE WHEN status = 'expired' THEN requested_at + interval '15 days' END
        FROM bench_plan WHERE sent
        """,
    )
    yield (
        "inspections (received: started up to 5 days ago; later ones: completed)",
        """
        INSERT INTO inspections (return_id, inspector, started_at, completed_at, parcels,
            unexpected)
        SELECT id, 'warehouse@example.com', started,
               CASE WHEN status <> 'received' THEN started + interval '10 minutes' END, 1,
               '[]'::jsonb
        FROM (SELECT id, status,
                     CASE WHEN status = 'received'
                          THEN greatest(requested_at + interval '1 hour',
                                        now() - random() * interval '5 days')
                          ELSE requested_at + interval '4 days' END AS started
              FROM bench_plan
              WHERE status IN ('received', 'inspected', 'resolved', 'closed')) i
        """,
    )
    yield (
        "audit events (two per return; some refunds told overdue)",
        f"""
        INSERT INTO audit_events (occurred_at, actor, action, entity_type, entity_id, after)
        SELECT at, actor, action, 'return', {_rma_number("id")}, '{{}}'::jsonb
        FROM (
            SELECT id, requested_at AS at, 'customer' AS actor, 'return.requested' AS action
            FROM bench_plan
            UNION ALL
            SELECT id, requested_at + interval '1 day', 'system', 'return.' || status
            FROM bench_plan WHERE status <> 'requested'
            UNION ALL
            SELECT id, now() - u4 * interval '3 days', 'system', 'return.refund_overdue'
            FROM bench_plan
            WHERE (status IN ('received', 'inspected') AND u3 < 0.25)
               OR (status = 'resolved' AND u3 < 0.05)
        ) e
        ORDER BY at
        """,
    )
    yield (
        "sequences",
        """
        SELECT setval('orders_id_seq', (SELECT max(id) FROM orders));
        SELECT setval('order_lines_id_seq', (SELECT max(id) FROM order_lines));
        SELECT setval('returns_id_seq', (SELECT max(id) FROM returns));
        DROP TABLE bench_plan
        """,
    )


def settled(conn: Connection, table: str) -> None:
    """VACUUM (ANALYZE) `table` until every page is all-visible, as on a shop whose older
    rows autovacuum has long seen: index-only scans need it. An autovacuum worker analysing
    another table meanwhile holds back what VACUUM may mark, so try again a few times."""
    for _attempt in range(10):
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        pages, visible = conn.execute(
            text("SELECT relpages, relallvisible FROM pg_class WHERE relname = :t"), {"t": table}
        ).one()
        if visible >= pages:
            return
        time.sleep(1)
    print(f"  note: {table} is {visible:,} of {pages:,} pages all-visible after VACUUM")


def fill(engine: Engine, orders: int) -> None:
    """Fill the migrated, empty database with `orders` orders and a fifth as many returns."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT EXISTS (SELECT FROM orders)")):
            sys.exit(
                "bench/desk_search.py: the database already holds orders; give it an empty one"
            )
        conn.execute(text("SELECT setseed(0.42)"))
        began = time.perf_counter()
        for description, sql in _steps(orders):
            start = time.perf_counter()
            conn.exec_driver_sql(sql)
            conn.commit()
            print(f"  {description:<72} {time.perf_counter() - start:6.1f} s", flush=True)
    start = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in BIG_TABLES:
            settled(conn, table)
    print(f"  {'VACUUM (ANALYZE)':<72} {time.perf_counter() - start:6.1f} s")
    print(f"  filled in {time.perf_counter() - began:.0f} s", flush=True)


# --- timing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    rma: str
    order: str
    email: str
    tracking: str
    name: str


def samples(conn: Connection) -> list[Sample]:
    """Returns picked at random, with what a customer or a parcel would say of each."""
    found = conn.execute(
        text(
            """
            SELECT r.number, o.number, o.email, s.tracking_number, o.customer_name
            FROM returns r JOIN orders o ON o.id = r.order_id
            JOIN shipments s ON s.return_id = r.id
            ORDER BY md5(r.number) LIMIT :n
            """
        ),
        {"n": SAMPLES},
    )
    return [Sample(*row) for row in found]


def name_prefix(name: str) -> str:
    """What staff type for a name: the given name and the surname's first letters
    ("Maria Ga"), or for a Chinese name its surname and first given character."""
    given, _, surname = name.partition(" ")
    return f"{given} {surname[:2]}" if surname else name[:2]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(call: Callable[[int], object], rounds: int = ROUNDS) -> list[float]:
    for i in range(WARM_UP):
        call(i)
        db.session.rollback()
    taken = []
    for i in range(rounds):
        start = time.perf_counter()
        call(i)
        taken.append((time.perf_counter() - start) * 1000)
        db.session.rollback()  # as each request ends: the next one starts a fresh transaction
    return taken


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements the engine runs while inside the block (SQL and parameters)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def explain(engine: Engine, call: Callable[[], object]) -> list[str]:
    """One line per statement `call` runs: its time, buffers and how it reads the big tables."""
    with statements(engine) as seen:
        call()
    db.session.rollback()
    lines = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            plan = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
            ).scalar_one()
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            top = plan["Plan"]
            reads = []
            for node in _walk(top):
                relation = node.get("Relation Name")
                kind = node["Node Type"]
                index = node.get("Index Name")
                if relation is None and index is None:
                    continue
                if kind == "Seq Scan" and relation in BIG_TABLES:
                    rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                    reads.append(f"SEQ SCAN {relation} ({rows:,} rows)")
                elif index:
                    short = kind.replace(" Scan", "").replace("Index Only", "index-only")
                    reads.append(f"{short} {index}")
                else:
                    reads.append(f"{kind} {relation}")
            buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            head = statement.split("FROM", 1)[0]
            label = "counts" if "count(" in head else "items" if "sum(" in head else "page"
            lines.append(
                f"{label:<6} {plan['Execution Time']:7.2f} ms {buffers:6} buf  "
                + ", ".join(dict.fromkeys(reads))
            )
    return lines


def desk_queries(picked: list[Sample]) -> list[tuple[str, Callable[[int], object]]]:
    """Each kind of search the desk offers, as a call taking the round's number (which picks
    the return whose numbers or name are searched for)."""

    def pick(i: int) -> Sample:
        return picked[i % len(picked)]

    def search(make: Callable[[int], Filters], page: int = 1) -> Callable[[int], object]:
        return lambda i: search_returns(make(i), page=page)

    return [
        ("RMA number", search(lambda i: Filters(q=pick(i).rma.lower()))),
        ("order number", search(lambda i: Filters(q=pick(i).order))),
        ("e-mail", search(lambda i: Filters(q=pick(i).email.upper()))),
        ("tracking number", search(lambda i: Filters(q=pick(i).tracking))),
        ("name prefix", search(lambda i: Filters(q=name_prefix(pick(i).name)))),
        # Broad on purpose: "Ma" begins 9 % of the names (86,000 orders at 1M).
        ("2 letters: no name search", search(lambda i: Filters(q=pick(i).name[:2]))),
        ("name, 3 letters", search(lambda i: Filters(q=pick(i).name[:3]))),
        ("no filter (newest)", search(lambda i: Filters())),
        ("status=received", search(lambda i: Filters(status="received"))),
        ("status=closed", search(lambda i: Filters(status="closed"))),
        ("flagged", search(lambda i: Filters(flagged=True))),
        ("late=uninspected", search(lambda i: Filters(late="uninspected"))),
        ("late=overdue", search(lambda i: Filters(late="overdue"))),
        ("defective+refund", search(lambda i: Filters(reason="defective", resolution="refund"))),
        ("resolution=exchange", search(lambda i: Filters(resolution="exchange"))),
        ("carrier=blue", search(lambda i: Filters(carrier="blue"))),
        ("older than 90 days", search(lambda i: Filters(older_than_days=90))),
        ("sort=oldest", search(lambda i: Filters(sort="oldest"))),
        ("sort=updated", search(lambda i: Filters(sort="updated"))),
        ("page 50, status=closed", search(lambda i: Filters(status="closed"), page=50)),
        ("status_counts, no term", lambda i: status_counts(Filters())),
    ]


def measure(engine: Engine, orders: int, rounds: int) -> None:
    """Time the ceiling and each desk query; print the figures, then the plans."""
    with engine.connect() as conn:
        picked = samples(conn)
    ceiling = text("SELECT id, number, email, customer_name FROM orders WHERE number = :n")
    reference = timed(
        lambda i: db.session.execute(ceiling, {"n": picked[i % len(picked)].order}).all(),
        rounds * 5,
    )
    ref50, ref99 = percentile(reference, 0.5), percentile(reference, 0.99)
    print(
        f"\ndesk search, {orders:,} orders, p50/p99 over {rounds} rounds after {WARM_UP} "
        f"warm-up; bar: p99 ≤ {BAR_MS:.0f} ms"
    )
    print(
        f"  ceiling: SELECT … FROM orders WHERE number = :n   "
        f"p50 {ref50:.2f} ms   p99 {ref99:.2f} ms"
    )
    print(f"  {'query':<24} {'p50 ms':>8} {'× ceil':>7} {'p99 ms':>8} {'× ceil':>7}")
    plans = []
    for name, call in desk_queries(picked):
        taken = timed(call, rounds)
        p50, p99 = percentile(taken, 0.5), percentile(taken, 0.99)
        verdict = "PASS" if p99 <= BAR_MS else "SLOW"
        ratios = f"{p50:8.2f} {p50 / ref50:6.0f}× {p99:8.2f} {p99 / ref99:6.0f}×"
        print(f"  {name:<24} {ratios}  {verdict}", flush=True)
        plans.append((name, explain(engine, lambda call=call: call(0))))
    print("\nEXPLAIN (ANALYZE, BUFFERS) of each query's statements (page, items, counts):")
    for name, lines in plans:
        print(f"  {name}")
        for line in lines:
            print(f"    {line}")


def run(url: str, orders: int, rounds: int) -> None:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        print(f"migrating {make_url(url).database} …", flush=True)
        upgrade()
        engine = db.engine
        print(f"filling: {orders:,} orders, {orders // 5:,} returns", flush=True)
        fill(engine, orders)
        with engine.connect() as conn:
            by_status = conn.execute(
                text("SELECT status, count(*) FROM returns GROUP BY 1 ORDER BY 1")
            )
            print("returns by status: " + ", ".join(f"{s} {n:,}" for s, n in by_status))
        measure(engine, orders, rounds)
        db.session.remove()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=ORDERS, help="orders to fill (returns: 20 %%)"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed runs of each query")
    args = parser.parse_args()
    if args.orders < 500:
        parser.error("--orders: at least 500")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        if not url.startswith("postgresql"):
            sys.exit("bench/desk_search.py: BENCH_DATABASE_URL must name a PostgreSQL database")
        run(url, args.orders, args.rounds)
        return
    admin = create_engine(
        f"{SERVER}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    except OperationalError as exc:
        print(f"skipped: needs PostgreSQL at {SERVER} ({str(exc).splitlines()[0]})")
        return
    try:
        run(f"{SERVER}/{DATABASE}", args.orders, args.rounds)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
