"""The returns desk: find any return, read everything about it, act on it — through the
real pages, forms with CSRF, services, mails and the warehouse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from returns_portal.accounts.models import Role
from returns_portal.accounts.services import create_user
from returns_portal.audit.models import AuditEvent
from returns_portal.desk import services as desk
from returns_portal.desk.queries import Filters, search_returns
from returns_portal.events import services as events
from returns_portal.extensions import db, limiter
from returns_portal.receiving import services as receiving
from returns_portal.receiving.models import Inspection
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.returns.services import transition
from returns_portal.returns.states import store_today
from returns_portal.shipping.services import live_shipment
from returns_portal.store.services import active_policy, save_policy
from returns_portal.types import utcnow
from tests.accounts.conftest import PASSWORD, Staff, csrf
from tests.builders import open_portal_return
from tests.mail import attachments, body, outbox
from tests.refunds.conftest import paid_order

WORKER = "user:999 w@example.com"


@pytest.fixture
def shop(app, session):
    limiter.reset()
    paid_order()  # 1001: two black T-shirts in M
    for role in Role:
        create_user(f"{role.value}@example.com", PASSWORD, role)
    return app


def signed_in(app, role: Role) -> Staff:
    """A new browser, signed in as the role's user. (The tests' own app context outlives the
    requests, so the user Flask-Login cached for the last one is dropped first.)"""
    g.pop("_login_user", None)
    staff = Staff(app.test_client())
    staff.sign_in(f"{role.value}@example.com")
    return staff


def flagged() -> Return:
    """A return the abuse check sent to review (the customer returned before)."""
    document = dict(active_policy().document)
    document["abuse"] = {"max_returns": 1, "within_days": 90}
    save_policy(document, "test")
    paid_order("1002")
    open_portal_return("1002", items=(("L1", 1, "too_small", "refund"),))
    rma = open_portal_return()
    assert rma.status == ReturnStatus.NEEDS_REVIEW
    return rma


def mails_about(app, rma: Return):
    return [m for m in outbox(app) if rma.number in m["Subject"]]


def act(staff: Staff, rma: Return, name: str, **fields):
    page = staff.client.get(f"/staff/returns/{rma.number}/{name}")
    assert page.status_code == 200
    return staff.client.post(
        f"/staff/returns/{rma.number}/{name}", data={"csrf_token": csrf(page.text), **fields}
    )


def text_of(answer) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", answer.text).split())


# --- finding returns ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["rma", "order", "email", "EMAIL", "tracking", "name"])
def test_a_return_is_found_by_what_the_customer_or_the_parcel_says(shop, how):
    rma = open_portal_return()
    order = rma.order
    term = {
        "rma": rma.number.lower(),
        "order": order.number,
        "email": order.email,
        "EMAIL": order.email.upper(),
        "tracking": live_shipment(rma).tracking_number,
        "name": order.customer_name[:4],  # "Li W"
    }[how]
    found = search_returns(Filters(q=term))
    assert [row.rma.number for row in found.rows] == [rma.number]
    assert search_returns(Filters(q="nobody-like-this")).rows == []


def test_the_list_filters_counts_and_pages(shop):
    first = open_portal_return()
    paid_order("1003")
    second = open_portal_return("1003", items=(("L1", 1, "defective", "store_credit"),))
    receiving.receive_parcel(second, WORKER)
    assert search_returns(Filters(status="received")).rows[0].rma.number == second.number
    assert [r.rma.number for r in search_returns(Filters(reason="defective")).rows] == [
        second.number
    ]
    assert [r.rma.number for r in search_returns(Filters(resolution="refund")).rows] == [
        first.number
    ]
    counts = search_returns(Filters()).counts
    assert (counts["awaiting_shipment"], counts["received"], counts["cancelled"]) == (1, 1, 0)
    # Counted among what the search term matches, whatever status is picked.
    assert search_returns(Filters(q="1003", status="awaiting_shipment")).counts["received"] == 1
    assert [r.rma.number for r in search_returns(Filters(sort="oldest")).rows] == [
        first.number, second.number
    ]  # fmt: skip
    one = search_returns(Filters(sort="oldest"), page=1, per_page=1)
    two = search_returns(Filters(sort="oldest"), page=2, per_page=1)
    assert one.has_next and not two.has_next
    assert [one.rows[0].rma.number, two.rows[0].rma.number] == [first.number, second.number]


def test_late_lists_parcels_received_and_not_checked_after_two_days(shop):
    rma = open_portal_return()
    receiving.receive_parcel(rma, WORKER)
    assert search_returns(Filters(late="uninspected")).rows == []
    inspection = db.session.scalar(select(Inspection).where(Inspection.return_id == rma.id))
    inspection.started_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert [r.rma.number for r in search_returns(Filters(late="uninspected")).rows] == [rma.number]


def test_flagged_lists_returns_sent_to_review_with_the_rules_that_fired(shop):
    rma = flagged()
    (row,) = search_returns(Filters(flagged=True)).rows
    assert row.rma.number == rma.number
    (flag,) = row.flags
    assert flag.code == "returns_in_period"
    staff = signed_in(shop, Role.SUPPORT)
    listed = text_of(staff.client.get("/staff/returns?flagged=y"))
    page = text_of(staff.client.get(f"/staff/returns/{rma.number}"))
    with shop.test_request_context():
        from returns_portal.returns.reasons import explain

        sentence = " ".join(str(explain(flag.why)).split())
    assert sentence in listed and sentence in page and "Why it was flagged" in page


def test_a_latin_name_needs_three_letters_and_a_chinese_one_does_not(shop):
    rma = open_portal_return()
    name = rma.order.customer_name
    assert name == "Li Wei"
    assert search_returns(Filters(q="Li")).rows == []
    assert search_returns(Filters(q="Li ")).rows == []  # spaces around are not letters
    assert [r.rma.number for r in search_returns(Filters(q="Li W")).rows] == [rma.number]
    rma.order.customer_name = "王伟"
    db.session.commit()
    assert [r.rma.number for r in search_returns(Filters(q="王伟")).rows] == [rma.number]
    staff = signed_in(shop, Role.SUPPORT)
    page = staff.client.get("/staff/returns?q=Li").text
    assert "A name is looked up from its first three letters." in page


def test_the_list_page_searches_through_the_form(shop):
    rma = open_portal_return()
    staff = signed_in(shop, Role.SUPPORT)
    page = staff.client.get(f"/staff/returns?q={rma.order.email}")
    assert page.status_code == 200 and rma.number in page.text
    assert "Awaiting shipment" in page.text
    empty = staff.client.get("/staff/returns?q=nobody%40example.com")
    assert "No return matches" in empty.text
    bad = staff.client.get("/staff/returns?older_than_days=-4")
    assert bad.status_code == 200 and "Number must be between" in bad.text


# --- a return's page ------------------------------------------------------------------------


def test_the_page_shows_the_decision_the_timeline_the_mails_and_the_notes(shop):
    rma = open_portal_return()
    staff = signed_in(shop, Role.WAREHOUSE)
    page = staff.client.get(f"/staff/returns/{rma.number}")
    assert page.status_code == 200
    text = text_of(page)
    for fact in ("The policy's decision", "Timeline", "return.awaiting_shipment",
                 "E-mails sent", f"Your return {rma.number}", "Shipments and tracking",
                 live_shipment(rma).tracking_number, "The customer reads:"):  # fmt: skip
        assert fact in text, fact
    # The mail as it was sent.
    link = re.search(rf'href="(/staff/returns/{rma.number}/mails/\d+)"', page.text).group(1)
    mail = staff.client.get(link)
    assert mail.status_code == 200 and "Your label and packing slip are attached" in mail.text
    # A warehouse worker reads, and adds a note, but is offered no action.
    assert "/approve" not in page.text and "Cancel for the customer" not in page.text
    answer = staff.client.post(
        f"/staff/returns/{rma.number}/notes",
        data={"csrf_token": csrf(page.text), "body": "Box crushed at the corner."},
    )
    assert answer.status_code == 302
    again = text_of(staff.client.get(f"/staff/returns/{rma.number}"))
    assert "Box crushed at the corner." in again and "warehouse@example.com" in again
    assert "return.note_added" in again


def test_an_unknown_return_a_foreign_mail_or_photo_is_not_found(shop):
    rma = open_portal_return()
    staff = signed_in(shop, Role.SUPPORT)
    assert staff.client.get("/staff/returns/R-NONE-00").status_code == 404
    assert staff.client.get(f"/staff/returns/{rma.number}/mails/999999").status_code == 404
    assert staff.client.get(f"/staff/returns/{rma.number}/photos/0" * 1).status_code == 404


def test_an_empty_note_is_refused_and_nothing_is_saved(shop):
    rma = open_portal_return()
    with pytest.raises(desk.DeskError):
        desk.add_note(rma, desk.Actor("user:1 s@example.com", Role.SUPPORT), "   ")
    assert desk.notes_of(rma) == []


# --- acting on a flagged return -------------------------------------------------------------


def test_approving_a_flagged_return_mails_the_label_and_lets_the_warehouse_receive_it(shop):
    rma = flagged()
    with pytest.raises(receiving.ReceivingError, match="being checked by support"):
        receiving.receive_parcel(rma, WORKER)  # refused while it is being checked
    db.session.rollback()
    staff = signed_in(shop, Role.SUPPORT)
    answer = act(staff, rma, "approve", reason="Regular customer, sizes run small.")
    assert answer.status_code == 302
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    mail = mails_about(shop, rma)[-1]
    assert f"Your return {rma.number} is accepted" in mail["Subject"]
    assert f"{rma.number}-label.pdf" in attachments(mail)
    receiving.receive_parcel(rma, WORKER)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.RECEIVED
    actor = db.session.scalar(
        select(AuditEvent.actor)
        .where(AuditEvent.action == "return.awaiting_shipment", AuditEvent.entity_id == rma.number)
        .order_by(AuditEvent.id.desc())
    )
    assert "support@example.com" in actor


def test_rejecting_says_why_to_the_customer_and_voids_the_label(shop):
    rma = flagged()
    staff = signed_in(shop, Role.SUPPORT)
    refused = act(staff, rma, "reject", reason="  ")
    assert refused.status_code == 422 and "Say why you reject it" in refused.text
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.NEEDS_REVIEW  # nothing changed
    answer = act(staff, rma, "reject", reason="Five returns this month, all worn.")
    assert answer.status_code == 302
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.REJECTED and live_shipment(rma) is None
    mail = mails_about(shop, rma)[-1]
    assert "was not accepted" in mail["Subject"]
    assert "Five returns this month, all worn." in body(mail)
    from tests.returns.test_states import page_of

    assert "Five returns this month, all worn." in page_of(shop, rma)


def test_a_role_without_the_action_is_refused_by_the_page_and_by_the_service(shop):
    rma = flagged()
    staff = signed_in(shop, Role.WAREHOUSE)
    assert staff.client.get(f"/staff/returns/{rma.number}/approve").status_code == 403
    with pytest.raises(desk.DeskError, match="Your role can't do that"):
        desk.approve_review(rma, desk.Actor("user:2 w@example.com", Role.WAREHOUSE))
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.NEEDS_REVIEW


def test_an_action_the_state_does_not_allow_is_refused_in_words(shop):
    rma = open_portal_return()
    support = desk.Actor("user:1 support@example.com", Role.SUPPORT)
    with pytest.raises(desk.DeskError, match="Only a return being checked"):
        desk.approve_review(rma, support)
    with pytest.raises(desk.DeskError, match="Only an expired return"):
        desk.accept_late(rma, support, store_today() + timedelta(days=5), "goodwill")


# --- acting on a return on its way ----------------------------------------------------------


def test_cancel_for_the_customer_keeps_the_reason_and_mails_them(shop):
    rma = open_portal_return()
    staff = signed_in(shop, Role.SUPPORT)
    assert (
        act(staff, rma, "cancel", reason="Customer phoned: keeping the shirts.").status_code == 302
    )
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.CANCELLED
    assert rma.status_reason == "Customer phoned: keeping the shirts."
    assert "is cancelled" in mails_about(shop, rma)[-1]["Subject"]


def test_resend_mails_the_confirmation_with_the_label_again(shop):
    rma = open_portal_return()
    before = len(mails_about(shop, rma))
    staff = signed_in(shop, Role.SUPPORT)
    assert act(staff, rma, "resend").status_code == 302
    mails = mails_about(shop, rma)
    assert len(mails) == before + 1
    assert f"{rma.number}-label.pdf" in attachments(mails[-1])
    assert "details of your return" in body(mails[-1])


def test_a_new_label_voids_the_old_one_and_is_mailed(shop):
    rma = open_portal_return()
    old = live_shipment(rma).tracking_number
    staff = signed_in(shop, Role.SUPPORT)
    assert act(staff, rma, "reissue", reason="The customer's printer ate it.").status_code == 302
    db.session.expire_all()
    new = live_shipment(db.session.get(Return, rma.id)).tracking_number
    assert new != old
    assert new in body(mails_about(shop, rma)[-1]) or f"{rma.number}-label.pdf" in attachments(
        mails_about(shop, rma)[-1]
    )


def test_more_time_moves_the_day_to_send_it_by_and_tells_the_customer(shop):
    rma = open_portal_return()
    staff = signed_in(shop, Role.SUPPORT)
    day = store_today() + timedelta(days=10)
    too_far = store_today() + timedelta(days=90)
    refused = act(staff, rma, "extend", reason="Travelling.", until=too_far.isoformat())
    assert refused.status_code == 422 and "At most 60 days" in refused.text
    assert act(staff, rma, "extend", reason="Travelling.", until=day.isoformat()).status_code == 302
    db.session.refresh(rma)
    assert rma.ship_by_extended_to == day
    mail = mails_about(shop, rma)[-1]
    assert "More time to send your return" in mail["Subject"]
    assert "Send it by" in body(mail)


def test_an_expired_return_is_accepted_late_with_a_new_label(shop):
    rma = open_portal_return()
    transition(rma, ReturnStatus.EXPIRED, "system")
    events.commit()
    staff = signed_in(shop, Role.SUPPORT)
    day = (store_today() + timedelta(days=7)).isoformat()
    assert act(staff, rma, "accept-late", reason="Hospital stay.", until=day).status_code == 302
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT and live_shipment(rma) is not None
    assert f"{rma.number}-label.pdf" in attachments(mails_about(shop, rma)[-1])


def test_keeping_the_items_proposes_the_refund_for_finance_and_tells_the_customer(shop):
    from returns_portal.refunds.models import Refund, RefundStatus
    from tests.returns.test_states import page_of

    rma = open_portal_return()
    staff = signed_in(shop, Role.SUPPORT)
    assert act(staff, rma, "keep", reason="").status_code == 422  # a reason is needed
    answer = act(staff, rma, "keep", reason="Not worth the postage.")
    assert answer.status_code == 302
    db.session.expire_all()
    rma = db.session.get(Return, rma.id)
    assert rma.status == ReturnStatus.INSPECTED and rma.returnless
    assert live_shipment(rma) is None  # the label no longer works
    (refund,) = db.session.scalars(select(Refund).where(Refund.return_id == rma.id))
    assert refund.status == RefundStatus.PROPOSED  # never approved by support
    # As if both shirts came back intact: what the customer was told at confirmation.
    assert refund.amount == rma.estimate["refund"]["total"] > 0
    mail = mails_about(shop, rma)[-1]
    assert "Keep the items of your return" in mail["Subject"]
    assert "please keep them" in body(mail)
    assert "received your parcel" not in " ".join(body(m) for m in mails_about(shop, rma))
    page = page_of(shop, rma)
    assert "No need to send it back: refund waiting for approval" in page
    assert "Received at our warehouse" not in page


def test_the_policy_s_keep_the_item_proposal_is_offered_on_the_return_s_page(shop):
    document = dict(active_policy().document)
    document["returnless"] = {"below": 20000, "categories": [], "reasons": ["too_small"]}
    save_policy(document, "test")
    rma = open_portal_return()  # two T-shirts at 129.00, too small
    staff = signed_in(shop, Role.SUPPORT)
    page = text_of(staff.client.get(f"/staff/returns/{rma.number}"))
    assert "The policy proposes a refund without the parcel:" in page
    assert "Let the customer keep the items" in page
    # A dearer line is not proposed: the customer sends it back as usual.
    document["returnless"]["below"] = 12900
    save_policy(document, "test")
    paid_order("1003")
    dear = open_portal_return("1003")
    assert "The policy proposes" not in text_of(staff.client.get(f"/staff/returns/{dear.number}"))


def test_the_money_reads_in_words_and_finance_follows_it_to_the_refund(shop):
    from returns_portal.refunds.models import Refund

    rma = open_portal_return()
    desk.keep_items(rma, desk.Actor("user:1 support@example.com", Role.SUPPORT), "Cheap.")
    refund = db.session.scalars(select(Refund).where(Refund.return_id == rma.id)).one()
    finance = signed_in(shop, Role.FINANCE)
    page = finance.client.get(f"/staff/returns/{rma.number}").text
    assert f'href="/finance/refunds/{refund.id}"' in page
    assert "Original payment" in page and "Waiting for approval" in page
    support = signed_in(shop, Role.SUPPORT)
    assert (
        f'href="/finance/refunds/{refund.id}"'
        not in support.client.get(f"/staff/returns/{rma.number}").text
    )


def test_parcels_with_a_carrier_problem_are_listed_for_follow_up(shop):
    from returns_portal.returns.services.tracking import flag_problem
    from returns_portal.shipping.statuses import TrackingProblem

    rma = open_portal_return()
    paid_order("1003")
    fine = open_portal_return("1003")
    assert search_returns(Filters(late="carrier_problem")).rows == []
    assert flag_problem(live_shipment(rma), TrackingProblem.RETURNED_TO_SENDER, utcnow())
    events.commit()
    assert [r.rma.number for r in search_returns(Filters(late="carrier_problem")).rows] == [
        rma.number
    ]
    assert fine.number not in [
        r.rma.number for r in search_returns(Filters(late="carrier_problem")).rows
    ]
    staff = signed_in(shop, Role.SUPPORT)
    page = text_of(staff.client.get(f"/staff/returns/{rma.number}"))
    assert "problem: returned_to_sender" in page
    listed = staff.client.get("/staff/returns?late=carrier_problem").text
    assert rma.number in listed and fine.number not in listed
