"""The store's name, time zone and public URL set in the browser: pages, mails, documents and
days follow at once; blank goes back to the configuration; bad values are refused in words."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from returns_portal.returns.services.links import return_page_url
from returns_portal.returns.states import store_today
from returns_portal.store.identity import identity
from returns_portal.types import utcnow
from tests.admin.conftest import events
from tests.admin.test_store_settings import ADDRESS, STORE
from tests.builders import open_portal_return
from tests.mail import body, outbox
from tests.refunds.conftest import paid_order


def save(admin, **fields):
    return admin.submit(STORE, STORE, {"currency": "CNY", **ADDRESS, **fields})


def test_a_new_name_shows_on_pages_and_in_mails_at_once(admin, app):
    answer = save(admin, store_name="Harbour Outfitters")
    assert answer.status_code == 302
    assert "Harbour Outfitters" in admin.client.get("/staff/returns").text
    assert "Harbour Outfitters" in app.test_client().get("/").text
    paid_order()
    rma = open_portal_return()
    mail = [m for m in outbox(app) if rma.number in m["Subject"]][-1]
    assert body(mail).rstrip().endswith("Harbour Outfitters")
    [event] = events("store.settings_changed")
    assert event.before["name"] is None and event.after["name"] == "Harbour Outfitters"


def test_blank_goes_back_to_the_configured_values(admin, app):
    save(admin, store_name="Harbour Outfitters", time_zone="Europe/Madrid",
         public_url="https://returns.example.com/")  # fmt: skip
    with app.test_request_context():
        assert identity().public_url == "https://returns.example.com"  # no trailing slash
    save(admin, store_name="", time_zone="", public_url="")
    with app.test_request_context():
        found = identity()
    assert (found.name, found.timezone, found.public_url) == (
        app.config["STORE_NAME"], app.config["STORE_TIMEZONE"],
        app.config["PUBLIC_URL"].rstrip("/"),
    )  # fmt: skip


def test_the_public_url_is_what_mail_links_and_qr_codes_point_at(admin, app):
    save(admin, public_url="https://returns.example.com")
    paid_order()
    rma = open_portal_return()
    with app.test_request_context():
        assert return_page_url(rma).startswith(f"https://returns.example.com/returns/{rma.number}")
    mail = [m for m in outbox(app) if rma.number in m["Subject"]][-1]
    assert f"https://returns.example.com/returns/{rma.number}?t=" in body(mail)


def test_the_time_zone_moves_the_store_s_day(admin, app):
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        save(admin, time_zone=zone)
        with app.test_request_context():
            assert store_today() == utcnow().astimezone(ZoneInfo(zone)).date()


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"time_zone": "America"}, "Not a time zone"),
     ({"time_zone": "Mars/Olympus"}, "Not a time zone"),
     ({"public_url": "returns.example.com"}, "starting with https://"),
     ({"public_url": "javascript:alert(1)"}, "starting with https://"),
     ({"public_url": "https://returns.example.com/?x=1"}, "without ? or #"),
     ({"store_name": "x" * 201}, "At most 200 characters")],
)  # fmt: skip
def test_bad_values_are_refused_next_to_their_field_and_nothing_is_saved(
    admin, app, fields, message
):
    answer = save(admin, **fields)
    assert answer.status_code == 400 and message in answer.text
    typed = next(iter(fields.values()))
    assert re.search(r'aria-describedby="[^"]+"', answer.text)
    assert typed[:50] in answer.text  # what was typed comes back
    assert events("store.settings_changed") == []
