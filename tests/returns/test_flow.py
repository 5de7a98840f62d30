"""The customer's return, step by step, and every refusal on the way."""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from returns_portal.extensions import db
from returns_portal.orders.models import StockLevel
from returns_portal.returns.models import Return, ReturnStatus
from returns_portal.shipping.models import Shipment
from tests.mail import body as mail_body
from tests.returns.conftest import csrf, photo_bytes

NOT_FOUND = "We couldn&#39;t find an order with those details."


def returns() -> list[Return]:
    return list(db.session.scalars(select(Return)))


# Finding the order ------------------------------------------------------------------------


def test_the_right_number_and_email_open_the_order(customer):
    response = customer.find()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/return/items")


def test_the_postal_code_works_instead_of_the_email(customer):
    assert customer.find(contact=" 200 000 ").status_code == 302


def test_a_wrong_email_and_an_unknown_order_get_the_same_answer(customer):
    wrong_email = customer.find(contact="someone@example.com")
    unknown = customer.find(number="9999", contact="li.wei@example.com")
    assert wrong_email.status_code == unknown.status_code == 200
    assert NOT_FOUND in wrong_email.text and NOT_FOUND in unknown.text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - differs only by echoed input and token
    assert strip(wrong_email.text) == strip(unknown.text)


def test_empty_fields_are_named(customer):
    response = customer.find(number="", contact="")
    assert "Enter your order number." in response.text
    assert "Enter the email address or postal code of the order." in response.text


def test_lookups_are_rate_limited(app, customer):
    app.config["LOOKUP_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [customer.find(contact="guess@example.com").status_code for _ in range(4)]
    finally:
        app.config["LOOKUP_RATE_LIMIT"] = "10 per minute;60 per hour"
        from returns_portal.extensions import limiter

        limiter.reset()
    assert codes[-1] == 429


def test_the_steps_need_a_found_order(customer):
    response = customer.client.get("/return/items")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")


def test_an_expired_session_asks_to_find_the_order_again(app, customer):
    customer.find()
    with customer.client.session_transaction() as session:
        session["order_access"] = {**session["order_access"], "until": 0}
    response = customer.client.get("/return/items", follow_redirects=True)
    assert "the session ended. Please find your order again." in response.text


# Choosing items ---------------------------------------------------------------------------


def test_each_line_shows_its_eligibility_and_a_refused_line_says_why(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    assert 'name="qty-L1"' in page  # the T-shirts, delivered 2 days ago
    assert "Return by" in page
    assert 'name="qty-L2"' not in page  # the kettle, delivered 20 days ago
    assert "return window ended on" in page
    assert "Only if it is faulty, damaged or wrong" in page  # the custom mug
    assert "custom" in page.lower()


def test_choosing_nothing_is_refused(customer):
    customer.find()
    response = customer.choose({"qty-L1": "0"})
    assert "Choose at least one item to return." in response.text


def test_a_quantity_above_what_was_bought_is_refused(customer):
    customer.find()
    response = customer.choose({"qty-L1": "3", "reason-L1": "too_small"})
    assert "You can return at most 2 of this item." in response.text


def test_a_line_outside_its_window_cannot_be_forced_in(customer):
    customer.find()
    response = customer.choose({"qty-L2": "1", "reason-L2": "changed_mind"})
    assert response.status_code == 200
    assert "This item can&#39;t be returned." in response.text
    assert customer.client.get("/return/options").status_code == 302  # nothing was kept


def test_a_reason_the_policy_does_not_accept_is_refused(customer):
    customer.find()
    response = customer.choose({"qty-L4": "1", "reason-L4": "changed_mind"})
    assert "This reason isn&#39;t accepted for this item any more." in response.text


def test_a_defect_needs_a_photo(customer):
    customer.find()
    response = customer.choose({"qty-L1": "1", "reason-L1": "defective"})
    assert "Add at least one photo showing the problem." in response.text


def test_a_defect_with_a_photo_goes_on_and_the_photo_loses_its_metadata(app, customer):
    customer.find()
    response = customer.choose(
        {"qty-L1": "1", "reason-L1": "defective"},
        **{"photos-L1": (__import__("io").BytesIO(photo_bytes()), "IMG_1.jpg")},
    )
    assert response.status_code == 302
    stored = list(Path(app.config["UPLOAD_FOLDER"]).glob("*.jpg"))
    assert stored
    assert all(b"SecretCam" not in path.read_bytes() for path in stored)
    assert all(re.fullmatch(r"[0-9a-f]{32}\.jpg", path.name) for path in stored)


def test_a_file_that_is_not_an_image_is_refused(customer):
    import io

    customer.find()
    response = customer.choose(
        {"qty-L1": "1", "reason-L1": "defective"},
        **{"photos-L1": (io.BytesIO(b"%PDF-1.4 not a photo"), "scan.pdf")},
    )
    assert "scan.pdf: not a JPEG, PNG or WebP image" in response.text


# Options --------------------------------------------------------------------------------


def test_options_offer_the_policy_s_resolutions_and_priced_carriers(customer):
    customer.find()
    customer.choose()
    page = customer.client.get("/return/options").text
    assert (
        'value="refund"' in page and 'value="store_credit"' in page and 'value="exchange"' in page
    )
    assert len(re.findall(r'name="carrier" value="', page)) >= 3
    assert "¥" in page or "CN¥" in page


def test_an_exchange_needs_a_variant_in_stock(customer):
    customer.find()
    customer.choose()
    response = customer.options({"resolution-L1": "exchange", "exchange-L1": "APP-TEE-WHT-L"})
    assert "Sorry, that one is out of stock." in response.text
    response = customer.options({"resolution-L1": "exchange", "exchange-L1": ""})
    assert "Choose the size or colour you want." in response.text


def test_a_resolution_the_policy_does_not_offer_is_refused(customer):
    customer.find()
    customer.choose()
    response = customer.options({"resolution-L1": "cash_in_hand"})
    assert "Choose what you would like instead." in response.text


def test_an_unknown_carrier_is_refused(customer):
    customer.find()
    customer.choose()
    response = customer.options({"carrier": "cheapest:free"})
    assert "Choose a carrier." in response.text


# Review and confirm ---------------------------------------------------------------------------


def test_the_review_shows_the_breakdown_due_date_and_what_goes_in_the_box(customer):
    customer.find()
    customer.choose()
    customer.options()
    page = customer.review_page().text
    assert "Refund estimate" in page
    assert "The return shipping label costs" in page or "Total" in page
    assert "Your refund is due" in page
    assert "What goes in the box" in page


def test_confirming_creates_one_return_awaiting_shipment_with_a_label(customer):
    number = customer.complete()
    assert re.fullmatch(r"R-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{2}", number)
    (rma,) = returns()
    assert rma.number == number
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    assert rma.estimate["refund"]["total"] > 0
    shipment = db.session.scalars(select(Shipment)).one()
    assert shipment.return_id == rma.id and shipment.status == "label_created"


def test_confirming_twice_creates_one_return(customer):
    customer.find()
    customer.choose()
    customer.options()
    page = customer.review_page()
    first = customer.confirm(page)
    second = customer.confirm(page)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert len(returns()) == 1


def test_the_confirmation_email_carries_a_working_signed_link(app, customer, client):
    number = customer.complete()
    outbox = sorted(Path(app.config["OUTBOX_FOLDER"]).glob("*.eml"))
    message = message_from_bytes(outbox[-1].read_bytes())
    assert message["To"] == "li.wei@example.com"
    assert number in message["Subject"]
    body = mail_body(message)
    link = re.search(r"http://\S+", body).group(0)
    stranger = app.test_client()
    assert link.startswith(app.config["PUBLIC_URL"])  # the portal's public address
    parts = urlsplit(link)
    path = f"{parts.path}?{parts.query}"
    assert stranger.get(path).status_code == 200
    forged = path.rsplit("t=", 1)[0] + "t=forged"
    assert app.test_client().get(forged).status_code == 404


def test_tampered_money_and_status_fields_change_nothing(customer):
    customer.find()
    customer.choose(
        {"qty-L1": "1", "reason-L1": "too_small", "price-L1": "999999", "status": "closed"}
    )
    customer.options({"label_cost": "0", "total": "1", "refund": "999999"})
    page = customer.review_page()
    honest_total = re.search(
        r'class="total"><th scope="row">[^<]+</th><td>([^<]+)</td>', page.text
    ).group(1)
    customer.confirm(page)
    (rma,) = returns()
    assert rma.status == ReturnStatus.AWAITING_SHIPMENT
    assert rma.estimate["refund"]["total"] < 12900
    assert honest_total


def test_an_item_returned_already_is_no_longer_offered_in_full(customer):
    customer.complete()
    customer.find()
    page = customer.client.get("/return/items").text
    options = re.search(r'<select id="qty-L1".*?</select>', page, re.S).group(0)
    assert 'value="2"' not in options and 'value="1"' in options


# Tracking and cancelling ------------------------------------------------------------------------


def test_the_tracking_page_shows_the_timeline_next_step_and_documents(customer):
    number = customer.complete()
    page = customer.client.get(f"/returns/{number}").text
    assert "Waiting for you to send it" in page
    assert "Return requested" in page and "Label created" in page
    assert f"/returns/{number}/label.pdf" in page
    assert f"/returns/{number}/slip.pdf" in page


def test_someone_else_s_return_is_not_found(app, customer):
    number = customer.complete()
    assert app.test_client().get(f"/returns/{number}").status_code == 404


def test_cancelling_before_shipping_voids_the_label_and_releases_the_exchange(customer):
    customer.find()
    customer.choose()
    customer.options({"resolution-L1": "exchange", "exchange-L1": "APP-TEE-BLK-L"})
    customer.confirm()
    (rma,) = returns()
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    assert stock.reserved == 1
    page = customer.client.get(f"/returns/{rma.number}/cancel")
    assert "Yes, cancel it" in page.text
    customer.client.post(f"/returns/{rma.number}/cancel", data={"csrf_token": csrf(page.text)})
    db.session.refresh(rma)
    db.session.refresh(stock)
    assert rma.status == ReturnStatus.CANCELLED
    assert stock.reserved == 0
    assert db.session.scalars(select(Shipment)).one().status == "voided"


def test_cancelling_after_the_carrier_has_the_parcel_is_refused(customer):
    number = customer.complete()
    shipment = db.session.scalars(select(Shipment)).one()
    shipment.status = "in_transit"
    db.session.commit()
    page = customer.client.get(f"/returns/{number}/cancel")
    response = customer.client.post(
        f"/returns/{number}/cancel", data={"csrf_token": csrf(page.text)}, follow_redirects=True
    )
    assert "can no longer be cancelled" in response.text
    assert returns()[0].status == ReturnStatus.AWAITING_SHIPMENT


def test_a_cancel_without_the_form_s_token_is_refused(customer):
    number = customer.complete()
    customer.client.post(f"/returns/{number}/cancel", data={})
    assert returns()[0].status == ReturnStatus.AWAITING_SHIPMENT


def test_an_upload_over_the_size_limit_gets_a_plain_words_page(app, customer):
    import io

    customer.find()
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    try:
        response = customer.choose(
            {"qty-L1": "1", "reason-L1": "defective"},
            **{"photos-L1": (io.BytesIO(b"x" * 60_000), "big.jpg")},
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert response.status_code == 413
    assert "That upload is too large" in response.text


def test_an_unknown_page_is_explained(client):
    response = client.get("/returns/R-NOPE-00")
    assert response.status_code == 404
    assert "We couldn" in response.text


def test_store_credit_shows_the_policy_s_bonus(customer, cli, tmp_path):
    import json

    from returns_portal import policy

    document = policy.default_document("cn-7day")
    document["resolutions"]["store_credit_bonus_percent"] = 10
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    assert cli.invoke(args=["policy", "load", str(path)]).exit_code == 0
    customer.find()
    customer.choose()
    assert "+10% bonus" in customer.client.get("/return/options").text


def test_another_size_listed_dearer_costs_what_was_paid_before_and_after_confirming(
    customer,
):
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    stock.unit_price = 15900  # the returned T-shirt was 129.00; the same shirt in L lists dearer
    db.session.commit()
    customer.find()
    customer.choose()
    customer.options({"resolution-L1": "exchange", "exchange-L1": "APP-TEE-BLK-L"})
    page = customer.review_page().text
    assert "How you get it" in page and "You pay the difference" in page
    assert re.search(r"You pay the difference</th><td>[^<]*6\.00<", page)  # the label only
    assert "36.00" not in page  # never 159.00 − 129.00 for a size swap
    customer.confirm()
    (rma,) = returns()
    assert rma.items[0].exchange_unit_price is None  # what was paid for the returned shirt
    track = customer.client.get(f"/returns/{rma.number}").text
    assert re.search(r"To pay: [^<]*6\.00", track) and "estimate" in track
    assert "36.00" not in track
    assert "Your exchange" in track


def test_a_same_price_exchange_costs_the_customer_only_the_return_label(customer):
    stock = db.session.scalars(select(StockLevel).where(StockLevel.sku == "APP-TEE-BLK-L")).one()
    stock.unit_price = 12900
    db.session.commit()
    customer.find()
    customer.choose()
    customer.options({"resolution-L1": "exchange", "exchange-L1": "APP-TEE-BLK-L"})
    page = customer.review_page().text
    assert re.search(r"You pay the difference</th><td>[^<]*6\.00<", page)
    customer.confirm()
    (rma,) = returns()
    track = customer.client.get(f"/returns/{rma.number}").text
    assert re.search(r"To pay: [^<]*6\.00", track)


def test_a_stock_item_without_a_price_is_exchanged_like_for_like(customer):
    customer.find()
    customer.choose()
    customer.options({"resolution-L1": "exchange", "exchange-L1": "APP-TEE-BLK-L"})
    customer.confirm()
    (rma,) = returns()
    assert rma.items[0].exchange_unit_price is None  # the shop gave no price: no refund of 129
    track = customer.client.get(f"/returns/{rma.number}").text
    # like for like: only the 6.00 label is due, the shirt's 129.00 (less the label) is not
    # refunded to the card
    assert re.search(r"To pay: [^<]*6\.00", track)
    assert "123.00" not in track


@pytest.mark.parametrize("document", ["label.pdf", "label.zpl", "qr.svg"])
def test_a_cancelled_return_s_label_says_it_was_cancelled(customer, document):
    customer.complete()
    (rma,) = returns()
    page = customer.client.get(f"/returns/{rma.number}/cancel")
    customer.client.post(f"/returns/{rma.number}/cancel", data={"csrf_token": csrf(page.text)})
    answer = customer.client.get(f"/returns/{rma.number}/{document}")
    assert answer.status_code == 410
    assert "This label can no longer be used" in answer.text
    assert f'href="/returns/{rma.number}"' in answer.text
    slip = customer.client.get(f"/returns/{rma.number}/slip.pdf")  # what was in the box
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")


def test_a_cancelled_return_promises_no_refund(customer):
    customer.complete()
    (rma,) = returns()
    before = customer.client.get(f"/returns/{rma.number}").text
    assert "back to the way you paid" in before and "Due" in before
    page = customer.client.get(f"/returns/{rma.number}/cancel")
    customer.client.post(f"/returns/{rma.number}/cancel", data={"csrf_token": csrf(page.text)})
    after = customer.client.get(f"/returns/{rma.number}").text
    assert "back to the way you paid" not in after and "Due" not in after
    assert 'class="big"' not in after and "No refund is due and nothing is charged" in after
