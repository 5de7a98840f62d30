from __future__ import annotations

import json

from sqlalchemy import select

from returns_portal.audit.models import AuditEvent
from returns_portal.extensions import db
from returns_portal.orders.demo import DEMO_POLICY
from returns_portal.store.models import PolicyVersion
from returns_portal.store.services import active_policy


def write(tmp_path, document) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_before_any_policy_is_saved_the_default_pack_applies(cli):
    result = cli.invoke(args=["policy", "show"])
    assert result.exit_code == 0
    assert "No policy saved yet: using the default pack cn-7day" in result.output
    assert active_policy().pack == "cn-7day"


def test_loading_a_policy_makes_it_the_active_version_and_audits_it(cli, tmp_path):
    result = cli.invoke(args=["policy", "load", write(tmp_path, DEMO_POLICY)])
    assert result.exit_code == 0, result.output
    assert "Policy version 1 (pack cn-7day) is now active." in result.output
    assert active_policy().version == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.saved")).one()
    assert event.after["version"] == 1


def test_loading_the_same_policy_again_keeps_the_version(cli, tmp_path):
    path = write(tmp_path, DEMO_POLICY)
    cli.invoke(args=["policy", "load", path])
    result = cli.invoke(args=["policy", "load", path])
    assert "Policy unchanged: version 1 is already active." in result.output
    assert len(db.session.scalars(select(PolicyVersion)).all()) == 1


def test_a_new_version_replaces_the_active_one(cli, tmp_path):
    cli.invoke(args=["policy", "load", write(tmp_path, DEMO_POLICY)])
    changed = json.loads(json.dumps(DEMO_POLICY))
    changed["windows"]["categories"]["apparel"] = 60
    result = cli.invoke(args=["policy", "load", write(tmp_path, changed)])
    assert "Policy version 2" in result.output
    versions = db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.version)).all()
    assert [v.active for v in versions] == [False, True]
    assert active_policy().document["windows"]["categories"]["apparel"] == 60


def test_a_policy_that_cuts_a_statutory_right_is_refused_naming_rule_and_right(cli, tmp_path):
    bad = json.loads(json.dumps(DEMO_POLICY))
    bad["windows"]["categories"]["apparel"] = 5
    result = cli.invoke(args=["policy", "load", write(tmp_path, bad)])
    assert result.exit_code == 1
    assert "Nothing was saved" in result.output
    assert "windows.categories.apparel cuts cn-7day" in result.output
    assert db.session.scalars(select(PolicyVersion)).all() == []


def test_a_malformed_policy_names_each_bad_field(cli, tmp_path):
    result = cli.invoke(
        args=[
            "policy",
            "load",
            write(tmp_path, {"windows": {"categories": {"apparel": "long"}}, "bogus": 1}),
        ]
    )
    assert result.exit_code == 1
    assert "bogus: unknown field" in result.output
    assert "windows.categories.apparel:" in result.output


def test_a_file_that_is_not_json_is_a_clear_error(cli, tmp_path):
    path = tmp_path / "policy.json"
    path.write_text("{not json", encoding="utf-8")
    result = cli.invoke(args=["policy", "load", str(path)])
    assert result.exit_code == 1
    assert "not valid UTF-8 JSON" in result.output


def test_export_prints_a_document_that_loads_back_unchanged(cli, tmp_path):
    cli.invoke(args=["policy", "load", write(tmp_path, DEMO_POLICY)])
    exported = cli.invoke(args=["policy", "export"]).output
    result = cli.invoke(args=["policy", "load", write(tmp_path, json.loads(exported))])
    assert "Policy unchanged" in result.output


def test_the_example_policy_in_docs_is_the_demo_policy_and_loads():
    from pathlib import Path

    example = json.loads((Path(__file__).parents[2] / "docs/examples/policy-demo.json").read_text())
    assert example == DEMO_POLICY


def test_rollback_and_activate_move_between_saved_versions_and_are_audited(cli, tmp_path):
    first = {**DEMO_POLICY, "refund_within_days": 5}
    second = {**DEMO_POLICY, "refund_within_days": 6}
    cli.invoke(args=["policy", "load", write(tmp_path, first)])
    cli.invoke(args=["policy", "load", write(tmp_path, second)])
    assert active_policy().version == 2
    back = cli.invoke(args=["policy", "rollback"])
    assert back.exit_code == 0, back.output
    assert "Policy version 1 (pack cn-7day) is now active." in back.output
    assert active_policy().version == 1 and active_policy().refund_within_days == 5
    again = cli.invoke(args=["policy", "rollback"])
    assert again.exit_code == 1 and "no earlier policy version" in again.output
    forward = cli.invoke(args=["policy", "activate", "2"])
    assert forward.exit_code == 0 and active_policy().version == 2
    same = cli.invoke(args=["policy", "activate", "2"])
    assert same.exit_code == 1 and "Nothing changed: version 2 is already active" in same.output
    missing = cli.invoke(args=["policy", "activate", "9"])
    assert missing.exit_code == 1 and "There is no policy version 9." in missing.output
    actions = list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "policy_version")
        .order_by(AuditEvent.id)
    ))  # fmt: skip
    assert actions[-2:] == ["policy.rolled_back", "policy.activated"]
    assert (
        db.session.scalars(select(AuditEvent.actor).order_by(AuditEvent.id.desc())).first() == "cli"
    )


def test_rollback_with_no_policy_saved_says_so(cli):
    answer = cli.invoke(args=["policy", "rollback"])
    assert answer.exit_code == 1 and "no earlier policy version" in answer.output
