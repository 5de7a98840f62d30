"""The scan station through the browser's eyes (test client): scan, count, inspect, complete."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from returns_portal.accounts.services import create_user
from returns_portal.extensions import db
from returns_portal.orders.services import upsert_order
from returns_portal.refunds.models import Refund
from returns_portal.returns.models import ReturnStatus
from returns_portal.shipping.models import Shipment
from tests.builders import open_portal_return, recent_order_document

PASSWORD = "correct horse battery"


@pytest.fixture
def rma(session):
    upsert_order(recent_order_document())
    return open_portal_return()


def sign_in(client, role: str):
    email = f"{role}@example.com"
    create_user(email, PASSWORD, role)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def worker(client, session):
    from returns_portal.extensions import limiter

    limiter.reset()
    return sign_in(client, "warehouse")


def location(response) -> str:
    return response.headers["Location"]


def test_scanning_an_rma_opens_its_inspection(worker, rma):
    response = worker.post("/warehouse/scan", data={"code": rma.number})
    assert re.search(r"/warehouse/receipts/\d+$", location(response))
    page = worker.get(location(response)).text
    assert rma.number in page and "T-shirt" in page and "0 / 2" in page
    assert "autofocus" in page and "data-scan" in page


def test_scanning_a_tracking_number_finds_the_same_return(worker, rma):
    tracking = db.session.scalars(select(Shipment.tracking_number)).one()
    assert "/warehouse/receipts/" in location(
        worker.post("/warehouse/scan", data={"code": tracking})
    )


def test_items_are_counted_and_surprises_flagged(worker, rma):
    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    page = worker.get(url).text
    assert "1 / 2" in page and "1 short" in page
    worker.post(f"{url}/scan", data={"code": "APL-KETTLE"})
    page = worker.get(url).text
    assert "wrong item" in page and "not part of this return" in page


def test_an_unknown_parcel_goes_to_the_unidentified_queue_and_is_attached_later(worker, rma):
    response = worker.post("/warehouse/scan", data={"code": "MYSTERY-1"})
    assert "/warehouse/unidentified?code=MYSTERY-1" in location(response)
    page = worker.get(location(response)).text
    assert "No return matches MYSTERY-1." in page
    worker.post(
        "/warehouse/unidentified",
        data={"code": "MYSTERY-1", "sender_name": "Li Wei", "order_number": "1001"},
    )
    listing = worker.get("/warehouse/unidentified?q=li+wei").text
    parcel_id = re.search(r"/warehouse/unidentified/(\d+)/attach", listing).group(1)
    response = worker.post(
        f"/warehouse/unidentified/{parcel_id}/attach", data={"rma_number": rma.number}
    )
    assert "/warehouse/receipts/" in location(response)
    db.session.refresh(rma)
    assert rma.status == ReturnStatus.RECEIVED


def test_inspecting_and_completing_proposes_the_refund_and_offers_bin_labels(worker, rma):
    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    page = worker.get(url).text
    inspect_url = re.search(r'href="(/warehouse/receipts/\d+/items/\d+)"', page).group(1)
    form = worker.get(inspect_url).text
    codes = re.findall(r'name="q-([a-z_]+)" value="yes"', form)
    assert "brand_tag_attached" in codes
    answers = {f"q-{code}": "yes" for code in codes}
    response = worker.post(inspect_url, data={**answers, "grade": "A", "disposition": ""})
    assert response.status_code == 302
    worker.post(f"{url}/complete")
    page = worker.get(url).text
    assert "Refund proposed" in page
    # The banner writes money as the page does (CN¥258.00), not as "CNY 258.00".
    assert re.search(r"Receipt complete\. Refund proposed: CN¥[\d,]+\.\d\d\.", page)
    refund = db.session.scalars(select(Refund)).one()
    assert refund.status == "proposed" and refund.amount > 0
    bin_url = re.search(r'href="([^"]+/bin\.pdf)"', page).group(1)
    label = worker.get(bin_url)
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    assert worker.get(bin_url.replace("bin.pdf", "bin.zpl")).data.startswith(b"^XA")


def test_an_unanswered_check_is_refused_with_a_message(worker, rma):
    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    inspect_url = re.search(
        r'href="(/warehouse/receipts/\d+/items/\d+)"', worker.get(url).text
    ).group(1)
    response = worker.post(inspect_url, data={"grade": "A"})
    assert response.status_code == 200
    assert "Answer every check before saving." in response.text


def test_the_customer_sees_received_and_the_refund_due_date(worker, rma, app):
    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    customer = app.test_client()
    from returns_portal.returns.services.links import signed_link_token

    with app.test_request_context():
        token = signed_link_token(rma)
    page = customer.get(f"/returns/{rma.number}?t={token}").text
    assert "Received at our warehouse" in page
    assert "Due by" in page
    assert url


@pytest.mark.parametrize("role", ["support", "finance"])
def test_other_roles_cannot_use_the_scan_station(client, session, role):
    from returns_portal.extensions import limiter

    limiter.reset()
    sign_in(client, role)
    assert client.get("/warehouse/scan").status_code == 403
    assert client.post("/warehouse/scan", data={"code": "R-AAAA-AA"}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, session):
    response = client.get("/warehouse/scan")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_inspection_photos_are_kept_without_their_metadata(worker, rma, app):
    import io
    from pathlib import Path

    from returns_portal.receiving.models import InspectionItem
    from tests.returns.conftest import photo_bytes

    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    inspect_url = re.search(
        r'href="(/warehouse/receipts/\d+/items/\d+)"', worker.get(url).text
    ).group(1)
    codes = re.findall(r'name="q-([a-z_]+)" value="yes"', worker.get(inspect_url).text)
    data = {
        **{f"q-{c}": "yes" for c in codes},
        "grade": "B",
        "photos": (io.BytesIO(photo_bytes()), "tag.jpg"),
    }
    response = worker.post(inspect_url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    finding = db.session.scalars(select(InspectionItem)).one()
    assert len(finding.photos) == 1
    stored = Path(app.config["UPLOAD_FOLDER"]) / finding.photos[0]
    assert b"SecretCam" not in stored.read_bytes()


def test_what_a_path_names_must_exist_and_belong_together(worker, rma):
    url = location(worker.post("/warehouse/scan", data={"code": rma.number}))
    worker.post(f"{url}/scan", data={"code": "APP-TEE-BLK-M"})
    item_url = re.search(r'href="(/warehouse/receipts/\d+/items/\d+)"', worker.get(url).text)[1]
    inspection_id, item_id = (int(n) for n in re.findall(r"\d+", item_url))
    assert worker.get(f"/warehouse/receipts/{inspection_id + 1}").status_code == 404
    assert worker.get(f"{url}/items/{item_id + 1}").status_code == 404  # not one of its items
    # No bin label before the item's disposition is chosen.
    assert worker.get(f"{item_url}/bin.pdf").status_code == 404
    response = worker.post("/warehouse/unidentified/999999/attach", data={"rma_number": "R"})
    assert response.status_code == 404
