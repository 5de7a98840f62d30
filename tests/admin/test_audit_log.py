"""The audit log page: filtered by record, actor, action and days in the store's time zone,
newest first a page at a time, and exported as CSV."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from returns_portal.audit import services as audit
from returns_portal.audit.services import AuditFilter, iter_events, record_event
from returns_portal.extensions import db

AUDIT = "/staff/audit"


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def event(action="return.moved", entity=("return", "R-1"), actor="cli", when=None, **after):
    made = record_event(actor, action, *entity, after=after or None)
    if when is not None:
        made.occurred_at = when
    db.session.commit()
    return made


def shown(page) -> list[tuple[str, str, str]]:
    """The (action, record, actor) of each row of the log, top to bottom."""
    body = (
        page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page.text else ""
    )
    rows = re.findall(
        r'<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>\s*<td class="mono">([^<]*)</td>\s*'
        r'<td><a [^>]*><span class="mono">([^<]*)</span>',
        body,
    )
    return [(action, record, actor) for actor, action, record in rows]


def test_the_log_shows_the_newest_first_with_who_did_what(admin):
    event("return.requested", actor="anonymous 10.0.0.1")
    event("return.moved", actor="cli", status="received")
    page = admin.client.get(AUDIT)
    assert page.status_code == 200
    rows = shown(page)
    assert rows[:2] == [
        ("return.moved", "return R-1", "cli"),
        ("return.requested", "return R-1", "anonymous 10.0.0.1"),
    ]
    assert "status</span> = received" in page.text


def test_filtering_by_record_type_and_id(admin):
    event(entity=("return", "R-1"))
    event(entity=("return", "R-2"))
    event(entity=("refund", "R-1"))
    page = admin.client.get(AUDIT, query_string={"entity_type": "return", "entity_id": "R-1"})
    assert shown(page) == [("return.moved", "return R-1", "cli")]
    page = admin.client.get(AUDIT, query_string={"entity_type": "return"})
    assert [record for _, record, _ in shown(page)] == ["return R-2", "return R-1"]


def test_filtering_by_a_staff_user_s_email_finds_what_they_did(admin, make_user):
    make_user("wang@example.com")
    admin.submit("/staff/admin/tokens", "/staff/admin/tokens", {"name": "Feed"})
    event(actor="cli")
    page = admin.client.get(AUDIT, query_string={"actor": "ADMIN@example.com"})
    actions = [action for action, _, _ in shown(page)]
    assert actions[0] == "api_token.created"
    assert "user.login_succeeded" in actions
    assert "user.created" not in actions  # made by the command line, not by the admin
    assert all(who == f"user:{admin.user.id} admin@example.com" for _, _, who in shown(page))
    page = admin.client.get(AUDIT, query_string={"actor": "cli"})
    assert {who for _, _, who in shown(page)} == {"cli"}


def test_filtering_by_action(admin):
    event("return.moved")
    event("refund.approved", entity=("refund", "F-1"))
    page = admin.client.get(AUDIT, query_string={"action": "refund.approved"})
    assert shown(page) == [("refund.approved", "refund F-1", "cli")]


def test_days_are_whole_days_in_the_store_s_time_zone(admin, app):
    assert app.config["STORE_TIMEZONE"] == "Asia/Shanghai"  # UTC+8, no summer time
    event("t.before", when=at("2026-12-01T15:59:59"))  # 1 Dec 23:59:59 in Shanghai
    event("t.first", when=at("2026-12-01T16:00:00"))  # 2 Dec 00:00
    event("t.last", when=at("2026-12-02T15:59:59"))  # 2 Dec 23:59:59
    event("t.after", when=at("2026-12-02T16:00:00"))  # 3 Dec 00:00
    page = admin.client.get(AUDIT, query_string={"since": "2026-12-02", "until": "2026-12-02"})
    assert [action for action, _, _ in shown(page)] == ["t.last", "t.first"]
    page = admin.client.get(AUDIT, query_string={"until": "2026-12-01"})
    assert [action for action, _, _ in shown(page)] == ["t.before"]
    # Times are shown in the store's zone too.
    assert (
        "Dec 3, 2026, 12:00:00" in admin.client.get(AUDIT, query_string={"action": "t.after"}).text
    )


def test_filters_combine(admin):
    event("return.moved", entity=("return", "R-1"), actor="cli")
    event("return.moved", entity=("return", "R-1"), actor="system")
    event("return.cancelled", entity=("return", "R-1"), actor="cli")
    page = admin.client.get(
        AUDIT,
        query_string={
            "entity_type": "return",
            "entity_id": "R-1",
            "actor": "cli",
            "action": "return.moved",
        },
    )
    assert shown(page) == [("return.moved", "return R-1", "cli")]


def test_the_log_is_read_a_page_at_a_time(admin):
    for number in range(57):
        event("bulk.event", entity=("thing", str(number)))
    first = admin.client.get(AUDIT, query_string={"action": "bulk.event"})
    rows = shown(first)
    assert len(rows) == 50 and rows[0][1] == "thing 56" and rows[-1][1] == "thing 7"
    older = (
        re.search(r'href="([^"]*before=\d+[^"]*)">Older', first.text).group(1).replace("&amp;", "&")
    )
    assert "action=bulk.event" in older
    second = admin.client.get(older)
    assert [record for _, record, _ in shown(second)] == [f"thing {n}" for n in range(6, -1, -1)]
    assert "Older" not in second.text and "Newest" in second.text


def test_a_wrong_filter_is_explained_at_its_field_and_never_a_500(admin):
    page = admin.client.get(AUDIT, query_string={"since": "2026-12-05", "until": "2026-12-01"})
    assert page.status_code == 400
    assert (
        'aria-describedby="until-error"' in page.text
        and "The end is before the start." in page.text
    )
    page = admin.client.get(AUDIT, query_string={"since": "2026-13-45"})
    assert page.status_code == 400 and 'id="since-error"' in page.text
    for junk in ({"before": "abc"}, {"before": "99999999999999999999"}, {"until": "9999-12-31"},
                 {"since": "0001-01-01"}, {"entity_type": "x" * 33}):  # fmt: skip
        assert admin.client.get(AUDIT, query_string=junk).status_code in (200, 400), junk


def export(admin, **query) -> list[list[str]]:
    answer = admin.client.get(f"{AUDIT}.csv", query_string=query)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    assert answer.is_streamed
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def test_the_csv_export_holds_the_filtered_rows_newest_first(admin):
    event(
        "return.moved", entity=("return", "R-1"), when=at("2026-12-01T16:30:00"), status="received"
    )
    event("return.moved", entity=("return", "R-2"))
    event("refund.approved", entity=("refund", "F-1"))
    rows = export(admin, action="return.moved")
    header, *body = rows
    assert header == ["id", "occurred_at_utc", "occurred_at_local", "actor", "action",
                      "entity_type", "entity_id", "before", "after"]  # fmt: skip
    assert [row[6] for row in body] == ["R-2", "R-1"]
    oldest = dict(zip(header, body[-1], strict=True))
    assert oldest["occurred_at_utc"] == "2026-12-01T16:30:00+00:00"
    assert oldest["occurred_at_local"] == "2026-12-02T00:30:00+08:00"
    assert oldest["actor"] == "cli" and oldest["after"] == '{"status": "received"}'
    assert oldest["before"] == ""


def test_the_page_links_the_export_of_what_it_shows(admin):
    page = admin.client.get(AUDIT, query_string={"action": "return.moved", "since": "2026-12-01"})
    link = re.search(r'href="(/staff/audit\.csv[^"]*)"', page.text).group(1).replace("&amp;", "&")
    assert "action=return.moved" in link and "since=2026-12-01" in link


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(admin):
    event("user.login_failed", entity=("user", "-"), actor='=HYPERLINK("http://evil")')
    [_header, row] = export(admin, action="user.login_failed")
    assert row[3] == '\'=HYPERLINK("http://evil")'
    assert row[6] == "'-"


def test_the_export_reads_the_log_in_batches_without_missing_a_row(session):
    made = [event("bulk.event", entity=("thing", str(n))).id for n in range(10)]
    found = [row.id for row in iter_events(AuditFilter(action="bulk.event"), batch=3)]
    assert found == made[::-1]


def test_a_page_of_events_says_where_the_next_one_starts(session):
    made = [event("bulk.event", entity=("thing", str(n))).id for n in range(5)]
    page = audit.find_events(AuditFilter(action="bulk.event"), limit=2)
    assert [e.id for e in page.events] == made[:-3:-1] and page.older_than == made[3]
    last = audit.find_events(AuditFilter(action="bulk.event"), before=made[1], limit=2)
    assert [e.id for e in last.events] == [made[0]] and last.older_than is None


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL's plans",
)
@pytest.mark.parametrize(
    ("query", "index"),
    [
        (AuditFilter(entity_type="return", entity_id="R-1"), "ix_audit_events_entity"),
        (AuditFilter(actors=("cli", "user:1 admin@example.com")), "ix_audit_events_actor"),
        (AuditFilter(action="return.moved"), "ix_audit_events_action"),
        (
            AuditFilter(since=at("2026-12-01T00:00:00"), until=at("2026-12-02T00:00:00")),
            "ix_audit_events_occurred_at",
        ),
    ],
)
def test_each_filter_is_served_by_an_index(session, query, index):
    from sqlalchemy import select

    from returns_portal.audit.models import AuditEvent

    statement = select(AuditEvent).where(*query.where()).order_by(AuditEvent.id.desc()).limit(51)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert index in plan and "Seq Scan" not in plan, plan


def test_no_event_is_shown_twice_across_pages(session):
    for n in range(7):
        event("bulk.event", entity=("thing", str(n)), when=datetime.now(UTC) - timedelta(minutes=n))
    seen, before = [], None
    while True:
        page = audit.find_events(AuditFilter(action="bulk.event"), before=before, limit=3)
        seen += [e.id for e in page.events]
        if page.older_than is None:
            break
        before = page.older_than
    assert len(seen) == len(set(seen)) == 7
