"""The policy pages at /staff/policy, driven like a browser: real forms, CSRF tokens, admin.

The editor's save and dry run must refuse what `flask policy load` refuses, in its words:
each refusal here is compared with what the CLI prints for the same document.
"""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from returns_portal.accounts.models import Role
from returns_portal.accounts.services import create_user
from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db, limiter
from returns_portal.orders.demo import DEMO_POLICY
from returns_portal.orders.services import upsert_order
from returns_portal.store import services, versions
from returns_portal.store.models import PolicyVersion
from tests.accounts.conftest import PASSWORD, Staff, csrf
from tests.builders import recent_order_document

ADMIN = "admin@example.com"
EDITOR = "/staff/policy/edit"


class FormReader(HTMLParser):
    """Read the fields of one form as a browser would send them (no JavaScript involved)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: dict[str, Any] = {}
        self.textarea: str | None = None
        self.select: str | None = None
        self.selected: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method") == "post"
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox"):
            self.fields[name] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox" and name:
            chosen = self.fields.setdefault(name, [])
            if "checked" in a:
                chosen.append(a.get("value", "on"))
        elif tag == "textarea":
            self.textarea = name
            self.fields[name] = ""
        elif tag == "select":
            self.select, self.selected = name, None
        elif tag == "option" and self.select and ("selected" in a or self.selected is None):
            # The first option unless another is selected.
            self.selected = a.get("value", "")
            self.fields[self.select] = self.selected

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.fields[self.textarea] += data


def form_fields(html: str, action: str = EDITOR) -> dict[str, Any]:
    reader = FormReader(action)
    reader.feed(html)
    fields = reader.fields
    # A browser drops the one line break that follows <textarea>.
    for name, value in fields.items():
        if isinstance(value, str) and value[:1] in ("\r", "\n"):
            fields[name] = value[2:] if value.startswith("\r\n") else value[1:]
    return fields


def texts(html: str, attribute: str) -> list[str]:
    """The text of every element carrying `attribute`, tags stripped."""
    found = re.findall(rf"<(\w+)[^>]*\s{attribute}(?=[\s>=])[^>]*>(.*?)</\1>", html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", body)).strip() for _, body in found]


@pytest.fixture
def admin(app, client, session) -> Staff:
    limiter.reset()
    app.config["WTF_CSRF_ENABLED"] = True
    create_user(ADMIN, PASSWORD, Role.ADMIN)
    staff = Staff(client)
    staff.sign_in(ADMIN)
    yield staff
    app.config["WTF_CSRF_ENABLED"] = False


def with_windows(**days: int) -> dict[str, Any]:
    document = json.loads(json.dumps(DEMO_POLICY))
    document["windows"]["categories"].update(days)
    return document


def open_editor(admin: Staff, url: str = EDITOR) -> dict[str, Any]:
    page = admin.client.get(url)
    assert page.status_code == 200
    return form_fields(page.text)


def set_window(fields: dict[str, Any], category: str, days: str) -> None:
    """Type `days` into the row of `category`, or into the first blank row."""
    rows = sorted(
        {int(m.group(1)) for k in fields if (m := re.fullmatch(r"windows-(\d+)-category", k))}
    )
    for i in rows:
        if fields[f"windows-{i}-category"] == category:
            fields[f"windows-{i}-days"] = days
            return
    for i in rows:
        if not fields[f"windows-{i}-category"]:
            fields[f"windows-{i}-category"], fields[f"windows-{i}-days"] = category, days
            return
    raise AssertionError("no blank window row")


def submit(admin: Staff, fields: dict[str, Any], button: str = "save"):
    return admin.client.post(EDITOR, data={**fields, button: "1"})


def cli_lines(cli, tmp_path, args: list[str], document: Any) -> tuple[int, list[str]]:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli.invoke(args=[*args, str(path)])
    return result.exit_code, [line.strip() for line in result.output.splitlines() if line.strip()]


def audit(action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


# --- the list, a version, a diff ---------------------------------------------------------


def test_the_list_shows_every_version_newest_first_with_who_when_and_what_changed(admin):
    services.save_policy(DEMO_POLICY, actor="cli:demo.json")
    services.save_policy(with_windows(apparel=45), actor="cli:longer.json")
    page = admin.client.get("/staff/policy")
    assert page.status_code == 200
    assert re.findall(r'<tr data-version="(\d+)"', page.text) == ["2", "1"]
    assert 'data-active="2"' in page.text
    assert "cli:longer.json" in page.text and "cli:demo.json" in page.text
    assert "windows.categories.apparel: 30 → 45" in page.text
    assert "First version (pack cn-7day)" in page.text
    assert "Roll back to version 1" in page.text


def test_the_list_is_paginated_and_before_any_save_says_the_default_applies(admin):
    page = admin.client.get("/staff/policy")
    assert "No policy saved yet: using the default pack cn-7day" in page.text
    for days in range(31, 31 + versions.PER_PAGE + 2):
        services.save_policy(with_windows(apparel=days), actor="cli")
    first = admin.client.get("/staff/policy").text
    assert len(re.findall(r"<tr data-version=", first)) == versions.PER_PAGE
    assert 'rel="next"' in first and "Page 1 of 2" in first
    second = admin.client.get("/staff/policy?page=2").text
    assert re.findall(r'<tr data-version="(\d+)"', second) == ["2", "1"]
    # The last row of a page is still compared with the version before it, on the next page.
    assert "windows.categories.apparel: 32 → 33" in first  # version 3 against 2
    assert admin.client.get("/staff/policy?page=99").status_code == 200


def test_a_version_page_shows_its_document_and_what_it_changed(admin):
    services.save_policy(DEMO_POLICY, actor="cli")
    services.save_policy(with_windows(apparel=45, toys=20), actor="cli")
    page = admin.client.get("/staff/policy/versions/2")
    assert page.status_code == 200
    assert texts(page.text, "data-change") == [
        "windows.categories.apparel: 30 → 45",
        "windows.categories.toys: (not set) → 20",
    ]
    assert '"apparel": 45' in unescape(page.text)
    assert admin.client.get("/staff/policy/versions/9").status_code == 404
    older = admin.client.get("/staff/policy/versions/1").text
    assert "Roll back to this version" in older


def test_the_diff_of_two_versions_reads_key_by_key(admin):
    services.save_policy(DEMO_POLICY, actor="cli")
    changed = with_windows(apparel=45)
    changed["methods"] = ["label"]
    del changed["windows"]["categories"]["bags"]
    services.save_policy(changed, actor="cli")
    page = admin.client.get("/staff/policy/diff?from_version=1&to_version=2")
    assert page.status_code == 200
    assert texts(page.text, "data-change") == [
        'methods: ["label", "qr_dropoff"] → ["label"]',
        "windows.categories.apparel: 30 → 45",
        "windows.categories.bags: 30 → (not set)",
    ]
    default = admin.client.get("/staff/policy/diff")  # the two newest
    assert texts(default.text, "data-change") == texts(page.text, "data-change")
    assert admin.client.get("/staff/policy/diff?from_version=1&to_version=7").status_code == 404
    assert admin.client.get("/staff/policy/diff?from_version=x").status_code == 200


# --- saving ------------------------------------------------------------------------------


def test_a_window_below_the_law_is_refused_with_the_cli_s_words_and_nothing_is_saved(
    admin, cli, tmp_path
):
    fields = open_editor(admin)
    set_window(fields, "apparel", "5")
    answer = submit(admin, fields)
    assert answer.status_code == 400
    shown = texts(answer.text, "data-refusal-title") + texts(answer.text, "data-refusal")

    document = services.default_document()
    document["windows"]["categories"]["apparel"] = 5
    code, printed = cli_lines(cli, tmp_path, ["policy", "load"], document)
    assert code == 1
    assert shown == printed
    assert shown[1] == (
        "windows.categories.apparel cuts cn-7day: 7-day no-reason return (RULES.md): "
        "a 5-day window is shorter than the statutory 7 days"
    )
    # The message is tied to the input that holds the window, and the input keeps the 5.
    days = re.search(r'<input[^>]*id="windows-0-days"[^>]*>', answer.text).group(0)
    assert 'aria-invalid="true"' in days and 'aria-describedby="windows-0-days-error"' in days
    assert 'value="5"' in days
    assert 'id="windows-0-days-error"' in answer.text
    assert db.session.scalars(select(PolicyVersion)).all() == []


def test_a_malformed_document_names_each_bad_key_as_the_cli_does(admin, cli, tmp_path):
    fields = open_editor(admin)
    document = json.loads(fields["document"])
    document["bogus"] = 1
    document["return_shipping"]["label_cost"] = "cheap"
    fields["document"] = json.dumps(document)
    answer = submit(admin, fields)
    assert answer.status_code == 400
    _code, printed = cli_lines(cli, tmp_path, ["policy", "load"], document)
    # The CLI's title names its file; the lines under it are the same.
    assert texts(answer.text, "data-refusal") == printed[1:]
    assert "bogus: unknown field" in printed
    assert "The policy document is not valid. Nothing was saved." in answer.text


def test_a_valid_save_through_the_form_makes_a_new_active_version_audited_with_the_admin(admin):
    services.save_policy(DEMO_POLICY, actor="cli")
    fields = open_editor(admin)
    set_window(fields, "apparel", "45")
    fields["label_cost"] = "900"
    fields["methods"] = ["label"]
    answer = submit(admin, fields)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/staff/policy/versions/2")
    shown = admin.client.get(answer.headers["Location"]).text
    assert "Policy version 2 (pack cn-7day) is now active." in shown
    active = services.active_policy()
    assert active.version == 2
    assert active.document["windows"]["categories"]["apparel"] == 45
    assert active.document["return_shipping"]["label_cost"] == 900
    assert active.document["methods"] == ["label"]
    # What was not touched stays as it was.
    assert active.document["windows"]["categories"]["shoes"] == 30
    event = audit("policy.saved")[-1]
    assert event.actor.endswith(ADMIN) and event.after["version"] == 2
    # Saving the same again changes nothing, as the CLI says.
    again = submit(admin, open_editor(admin))
    assert (
        "Policy unchanged: version 2 is already active."
        in admin.client.get(again.headers["Location"]).text
    )


def test_a_field_and_the_json_can_both_be_edited_in_one_save(admin):
    fields = open_editor(admin)
    document = json.loads(fields["document"])
    document["refund_within_days"] = 5  # only in the JSON
    fields["document"] = json.dumps(document)
    fields["store_credit_bonus_percent"] = "10"  # only in the field
    assert submit(admin, fields).status_code == 302
    saved = services.active_policy().document
    assert saved["refund_within_days"] == 5
    assert saved["resolutions"]["store_credit_bonus_percent"] == 10


def test_json_that_does_not_parse_comes_back_as_typed_with_every_field(admin):
    fields = open_editor(admin)
    typed = '{"pack": "cn-7day",\n  "windows": {"categories": {"apparel": 45}'
    fields["document"] = typed
    fields["timezone"] = "Europe/Bucharest"
    set_window(fields, "shoes", "30")
    answer = submit(admin, fields)
    assert answer.status_code == 400
    back = form_fields(answer.text)
    assert back["document"] == typed
    assert back["timezone"] == "Europe/Bucharest"
    assert back["windows-0-category"] == "shoes" and back["windows-0-days"] == "30"
    area = re.search(r"<textarea[^>]*>", answer.text).group(0)
    assert 'aria-describedby="document-error document-hint"' in area
    assert "The document is not valid JSON" in answer.text
    assert db.session.scalars(select(PolicyVersion)).all() == []


def test_an_expired_form_token_saves_nothing_and_gives_the_edit_back_as_typed(admin):
    fields = open_editor(admin)
    fields["csrf_token"] = "expired"
    set_window(fields, "apparel", "45")
    fields["document"] = fields["document"].replace('"label_cost": 0', '"label_cost": 700')
    answer = submit(admin, fields)
    assert answer.status_code == 400
    assert "The form expired. Your changes are still here: send them again." in answer.text
    back = form_fields(answer.text)
    assert back["windows-0-days"] == "45" and '"label_cost": 700' in back["document"]
    assert db.session.scalars(select(PolicyVersion)).all() == []
    # The fresh token on the page it gave back saves the edit.
    assert submit(admin, back).status_code == 302
    assert services.active_policy().document["return_shipping"]["label_cost"] == 700


# --- activate and roll back ----------------------------------------------------------------


def test_rolling_back_asks_first_then_activates_the_earlier_version_audited(admin, cli):
    services.save_policy(DEMO_POLICY, actor="cli")
    services.save_policy(with_windows(apparel=45), actor="cli")
    confirm = admin.client.get("/staff/policy/versions/1/activate")
    assert confirm.status_code == 200
    assert "Roll back to version 1?" in confirm.text
    assert texts(confirm.text, "data-change") == ["windows.categories.apparel: 45 → 30"]
    assert services.active_policy().version == 2  # asking changed nothing

    fields = form_fields(confirm.text, "/staff/policy/versions/1/activate")
    done = admin.client.post("/staff/policy/versions/1/activate", data=fields)
    assert done.status_code == 302
    assert (
        "Policy version 1 (pack cn-7day) is now active." in admin.client.get("/staff/policy").text
    )
    assert services.active_policy().version == 1
    assert services.active_policy().document["windows"]["categories"]["apparel"] == 30
    event = audit("policy.rolled_back")[-1]
    assert event.actor.endswith(ADMIN)
    assert (event.before["version"], event.after["version"]) == (2, 1)
    assert "Policy version 1 (pack cn-7day)" in cli.invoke(args=["policy", "show"]).output

    # Forward again is an activation, not a roll-back.
    forward = form_fields(
        admin.client.get("/staff/policy/versions/2/activate").text,
        "/staff/policy/versions/2/activate",
    )
    admin.client.post("/staff/policy/versions/2/activate", data=forward)
    assert services.active_policy().version == 2
    assert audit("policy.activated")[-1].after["version"] == 2


def test_a_confirmation_made_stale_by_another_admin_changes_nothing(admin):
    services.save_policy(DEMO_POLICY, actor="cli")
    services.save_policy(with_windows(apparel=45), actor="cli")
    fields = form_fields(
        admin.client.get("/staff/policy/versions/1/activate").text,
        "/staff/policy/versions/1/activate",
    )
    services.save_policy(with_windows(apparel=60), actor="someone else")
    answer = admin.client.post("/staff/policy/versions/1/activate", data=fields)
    assert answer.status_code == 302
    assert (
        "Another admin made version 3 active meanwhile"
        in admin.client.get(answer.headers["Location"]).text
    )
    assert services.active_policy().version == 3
    assert audit("policy.rolled_back") == []


def test_activation_without_the_confirmation_form_s_token_changes_nothing(admin):
    services.save_policy(DEMO_POLICY, actor="cli")
    services.save_policy(with_windows(apparel=45), actor="cli")
    answer = admin.client.post("/staff/policy/versions/1/activate", data={})
    assert answer.status_code == 400
    assert services.active_policy().version == 2
    token = csrf(admin.client.get("/staff/policy/versions/1/activate").text)
    unknown = admin.client.post("/staff/policy/versions/9/activate", data={"csrf_token": token})
    assert unknown.status_code == 404


def test_the_service_activates_and_refuses_what_is_already_active(session):
    services.save_policy(DEMO_POLICY, actor="cli")
    services.save_policy(with_windows(apparel=45), actor="cli")
    assert versions.rollback_target().version == 1
    versions.activate_version(1, "cli")
    assert services.active_policy().version == 1
    with pytest.raises(versions.ActivationConflict):
        versions.activate_version(1, "cli")
    with pytest.raises(versions.VersionNotFound):
        versions.activate_version(5, "cli")
    assert db.session.scalars(select(PolicyVersion.version).where(PolicyVersion.active)).all() == [
        1
    ]


# --- the dry run ---------------------------------------------------------------------------


def test_a_dry_run_decides_an_order_under_the_edited_document_as_the_cli_explains_it(
    admin, cli, tmp_path
):
    upsert_order(recent_order_document("3001"))  # the kettle (appliances) arrived 20 days ago
    fields = open_editor(admin)
    set_window(fields, "appliances", "30")
    fields["order_number"] = "3001"
    answer = submit(admin, fields, "dry_run")
    assert answer.status_code == 200
    report = unescape(
        re.search(r"<textarea[^>]*data-explain[^>]*>\r?\n?(.*?)</textarea>", answer.text, re.S)[1]
    )
    assert "L2: eligible" in report
    assert 'data-decision="L2"' in answer.text
    assert texts(answer.text, "data-change") == ["windows.categories.appliances: (not set) → 30"]

    document = services.default_document()
    document["windows"]["categories"]["appliances"] = 30
    payload = {
        "order_number": "3001",
        "return": {
            "lines": [
                {"line_id": line, "quantity": qty, "reason": "changed_mind"}
                for line, qty in (("L1", 2), ("L2", 1), ("L3", 1), ("L4", 1))
            ],
        },
        "policy": document,
    }
    path = tmp_path / "dry-run.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    printed = cli.invoke(args=["policy", "explain", str(path)])
    assert printed.exit_code == 0, printed.output
    assert report == printed.output.removesuffix("\n")  # click.echo ends the text with a newline
    # Nothing was saved, and the form still holds the edit.
    assert db.session.scalars(select(PolicyVersion)).all() == []
    assert services.active_policy().version == 0
    assert "windows.categories.appliances" not in json.dumps(services.active_policy().document)
    back = form_fields(answer.text)
    assert back["windows-0-category"] == "appliances" and back["windows-0-days"] == "30"


def test_a_dry_run_refuses_a_window_below_the_law_as_a_save_would(admin):
    upsert_order(recent_order_document("3001"))
    fields = open_editor(admin)
    set_window(fields, "apparel", "3")
    fields["order_number"] = "3001"
    answer = submit(admin, fields, "dry_run")
    assert answer.status_code == 400
    assert texts(answer.text, "data-refusal")[0].startswith("windows.categories.apparel cuts")


def test_a_dry_run_of_an_unknown_order_says_so_at_the_order_field(admin):
    fields = open_editor(admin)
    fields["order_number"] = "NOPE"
    answer = submit(admin, fields, "dry_run")
    assert answer.status_code == 400
    field = re.search(r'<input[^>]*id="order_number"[^>]*>', answer.text).group(0)
    assert 'aria-describedby="order_number-error"' in field and 'value="NOPE"' in field
    assert "order_number: no order NOPE" in answer.text


def test_trying_without_an_order_only_checks_the_document(admin):
    fields = open_editor(admin)
    set_window(fields, "apparel", "30")
    answer = submit(admin, fields, "dry_run")
    assert answer.status_code == 200
    assert "The edited document passes every check" in answer.text
    assert db.session.scalars(select(PolicyVersion)).all() == []


# --- who may open them ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE])
def test_staff_who_are_not_admins_are_refused_every_policy_page(app, client, session, role):
    limiter.reset()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        services.save_policy(DEMO_POLICY, actor="cli")
        services.save_policy(with_windows(apparel=45), actor="cli")
        create_user(f"{role.value}@example.com", PASSWORD, role)
        staff = Staff(client)
        staff.sign_in(f"{role.value}@example.com")
        page = client.get("/staff/")
        token = csrf(page.text)
        for url in ("/staff/policy", "/staff/policy/versions/1", "/staff/policy/diff",
                    "/staff/policy/versions/1/activate", EDITOR):  # fmt: skip
            assert client.get(url).status_code == 403, url
        assert client.post(EDITOR, data={"csrf_token": token, "save": "1"}).status_code == 403
        # A bad token is refused before the role check: the answer holds no policy either.
        stale = client.post(EDITOR, data={"csrf_token": "stale", "save": "1"})
        assert stale.status_code == 400 and "windows" not in stale.text
        answer = client.post("/staff/policy/versions/1/activate", data={"csrf_token": token})
        assert answer.status_code == 403
        assert services.active_policy().version == 2
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_an_anonymous_visitor_is_sent_to_sign_in(client, session):
    answer = client.get("/staff/policy")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/login")
