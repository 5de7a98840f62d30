"""Store settings in the browser: what the database holds is edited and audited; what the
configuration holds is shown with the variable that sets it. Carriers are listed read-only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from returns_portal.orders.models import StockLevel
from returns_portal.shipping.services import warehouse_address
from returns_portal.store.models import StoreSettings
from returns_portal.store.services import ensure_store, store_currency
from returns_portal.store.settings import check_timezone, store_settings, update_store_settings
from tests.admin.conftest import events

STORE = "/staff/admin/store"
ADDRESS = {
    "name": "Returns Hall",
    "line1": "1 Quay Road",
    "line2": "",
    "city": "Ningbo",
    "postal_code": "315000",
    "country": "cn",
    "phone": "",
}


def test_the_page_shows_the_saved_settings_and_where_the_others_are_set(admin, app):
    page = admin.client.get(STORE)
    assert page.status_code == 200
    assert re.search(r'id="currency"[^>]*value="CNY"|value="CNY"[^>]*id="currency"', page.text)
    assert "88 Century Avenue, Building 3" in page.text
    for variable, value in (
        ("STORE_NAME", app.config["STORE_NAME"]),
        ("STORE_TIMEZONE", app.config["STORE_TIMEZONE"]),
        ("PUBLIC_URL", app.config["PUBLIC_URL"]),
    ):
        row = re.search(rf"{variable}</span></th><td[^>]*>([^<]*)</td>", page.text)
        assert row and row.group(1) == value, variable
    # Editable above, blank until an admin sets them: the configured values apply.
    for name in ("store_name", "time_zone", "public_url"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page.text)
        assert field is not None, name
        assert 'value=""' in field.group(0) or "value=" not in field.group(0), name


def test_an_admin_saves_a_new_returns_address_used_on_the_next_label(admin):
    answer = admin.submit(STORE, STORE, {"currency": "CNY", **ADDRESS})
    assert answer.status_code == 302
    address = warehouse_address()
    assert (address.name, address.line1, address.city, address.country) == (
        "Returns Hall", "1 Quay Road", "Ningbo", "CN",
    )  # fmt: skip
    [event] = events("store.settings_changed")
    assert event.actor == f"user:{admin.user.id} admin@example.com"
    assert event.after["return_address"]["city"] == "Ningbo"
    assert event.before["return_address"]["city"] == "Shanghai"
    assert "Store settings saved." in admin.client.get(STORE).text


def test_saving_the_same_settings_again_records_nothing(admin):
    admin.submit(STORE, STORE, {"currency": "CNY", **ADDRESS})
    admin.submit(STORE, STORE, {"currency": "CNY", **ADDRESS})
    assert len(events("store.settings_changed")) == 1


def test_a_new_currency_keeps_old_stock_prices_in_the_old_one(admin, session):
    ensure_store()
    session.add_all([
        StockLevel(sku="OLD-1", name="Old", unit_price=1000, currency=None),
        StockLevel(sku="NEW-1", name="New", unit_price=900, currency="USD"),
    ])  # fmt: skip
    session.commit()
    answer = admin.submit(STORE, STORE, {"currency": "eur", **ADDRESS})
    assert answer.status_code == 302
    assert store_currency() == "EUR"
    prices = dict(session.execute(select(StockLevel.sku, StockLevel.currency)).all())
    assert prices == {"OLD-1": "CNY", "NEW-1": "USD"}
    [event] = events("store.settings_changed")
    assert event.before["currency"] == "CNY" and event.after["currency"] == "EUR"
    assert event.after["stock_prices_kept_in"] == {"currency": "CNY", "rows": 1}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "three-letter ISO 4217"),
        ({"currency": "EURO"}, "currency", "three-letter ISO 4217"),
        ({"country": "China"}, "country", "Two capital letters"),
        ({"city": "  "}, "city", "Required."),
        ({"postal_code": "9" * 21}, "postal_code", "At most 20 characters."),
    ],
)
def test_a_wrong_setting_is_refused_at_its_field_and_nothing_is_saved(admin, data, field, message):
    answer = admin.submit(STORE, STORE, {"currency": "CNY", **ADDRESS, **data})
    assert answer.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', answer.text, re.S)
    assert error and message in error.group(1), answer.text
    assert f"{field}-error" in re.search(rf'<input[^>]*id="{field}"[^>]*>', answer.text).group(0)
    assert events("store.settings_changed") == []
    assert store_settings().return_address["city"] == "Shanghai"


@pytest.mark.parametrize(
    "name", ["America", "Europe", "Mars/Olympus_Mons", "", "x" * 300, "../etc"]
)
def test_a_time_zone_that_is_a_folder_or_unknown_is_refused(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        check_timezone(name)


def test_a_real_time_zone_is_accepted():
    assert str(check_timezone("Europe/Bucharest")) == "Europe/Bucharest"


def test_the_service_refuses_a_bad_currency_for_the_command_line_too(session):
    from returns_portal.store.settings import SettingsInvalid

    with pytest.raises(SettingsInvalid) as refused:
        update_store_settings("cny1", ADDRESS)
    assert list(refused.value.errors) == ["currency"]
    assert session.scalar(select(StoreSettings.currency)) == "CNY"


def test_the_carriers_page_lists_each_service_with_its_price(admin):
    page = admin.client.get("/staff/admin/carriers")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "Swift Post" in text and "Blue Parcel" in text
    for service, days, price in (
        ("Standard", "3 days", "8.00"),
        ("Express", "1 day", "15.00"),
        ("Economy", "5 days", "6.00"),
        ("Standard", "3 days", "10.00"),
    ):
        assert re.search(
            rf"{service} <span[^>]*>\w+</span></th> <td>{days}</td> <td>[^<]*{price}", text
        ), service
    assert "CARRIERS in config.py" in text
    assert "<form" not in text.split("<main", 1)[1]
