"""A standard return in few steps (issue 11 §2): what the pages preselect, the options step
folded into the review when its defaults stand, and the label on screen after confirming."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from returns_portal import policy
from returns_portal.extensions import db
from returns_portal.orders.models import OrderLine
from returns_portal.orders.services import upsert_order
from returns_portal.returns.models import Return
from returns_portal.returns.services import (
    Draft,
    DraftItem,
    LineChoice,
    default_options,
    preselected_quantities,
)
from tests.builders import one_item_order_document, recent_order_document
from tests.returns.conftest import photo_bytes

RATES = {"swift:economy": 600, "swift:express": 1200}  # cheapest first, as rates_for orders them


class FormValues(HTMLParser):
    """What a browser sends back for a page's form: selected options and input values."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        name = attr.get("name") or ""
        if tag == "select":
            self._select, self._chosen = name, False
        elif tag == "option" and self._select is not None:
            # A select sends its first option until one is marked selected.
            if self._select not in self.values or ("selected" in attr and not self._chosen):
                self.values[self._select] = attr.get("value") or ""
                self._chosen = "selected" in attr
        elif tag == "input" and name and attr.get("type") != "file":
            self.values[name] = attr.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


def resend(html: str, **changes: str) -> dict[str, str]:
    """The form as the browser would post it again, with the customer's `changes`."""
    return {**form_values(html), **changes}


def post_items(customer, data: dict[str, str], **files):
    return customer.client.post(
        "/return/items", data={**data, **files}, content_type="multipart/form-data"
    )


def section(html: str, css_class: str) -> str:
    match = re.search(rf'<section class="card {css_class}".*?</section>', html, re.S)
    return match.group(0) if match else ""


# What the items page starts with -----------------------------------------------------------


def choice(line_ref: str, quantity: int = 1, remaining: int | None = None, gift_of=None,
           eligible: bool = True, **decision: object) -> LineChoice:  # fmt: skip
    """A line as the items page sees it, with a decision that allows what `decision` says."""
    fields: dict[str, object] = {
        "line_id": line_ref, "eligible": eligible, "statutory": eligible,
        "remaining_qty": quantity if remaining is None else remaining, "last_day": None,
        "closes_at": None, "defect_last_day": None,
        "allowed_resolutions": tuple(policy.Resolution),
        "allowed_methods": tuple(policy.ReturnMethod), "photos_required_for": (),
        "reasons": (), "checklist": (), "allowed_reasons": tuple(policy.ReturnReason),
    }  # fmt: skip
    fields.update(decision)
    line = OrderLine(line_ref=line_ref, quantity=quantity, gift_of=gift_of)
    return LineChoice(line, policy.LineDecision(**fields))


def test_the_only_item_of_one_unit_starts_at_one():
    assert preselected_quantities([choice("L1")]) == {"L1": 1}


def test_an_item_of_several_units_starts_at_zero():
    assert preselected_quantities([choice("L1", quantity=2)]) == {"L1": 0}


def test_an_item_with_one_unit_left_of_several_starts_at_one():
    assert preselected_quantities([choice("L1", quantity=2, remaining=1)]) == {"L1": 1}


def test_several_one_unit_items_all_start_at_zero():
    assert preselected_quantities([choice("L1"), choice("L2")]) == {"L1": 0, "L2": 0}


def test_a_free_gift_does_not_count_as_a_second_item_and_is_not_preselected():
    assert preselected_quantities([choice("L1"), choice("G", gift_of="L1")]) == {"L1": 1, "G": 0}


def test_lines_that_cannot_be_returned_do_not_count():
    refused = choice("L2", eligible=False)
    assert preselected_quantities([choice("L1"), refused]) == {"L1": 1}


@pytest.fixture
def one_item_order(order):
    upsert_order(one_item_order_document("1002"))
    db.session.commit()


def quantity_shown(html: str, line_ref: str) -> str:
    return form_values(html)[f"qty-{line_ref}"]


def test_the_items_page_preselects_the_one_unit_of_a_one_item_order(customer, one_item_order):
    customer.find(number="1002")
    assert quantity_shown(customer.client.get("/return/items").text, "L1") == "1"


def test_the_items_page_preselects_nothing_on_an_order_of_several_items(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    assert quantity_shown(page, "L1") == quantity_shown(page, "L4") == "0"


def test_a_quantity_chosen_without_a_reason_is_kept_until_the_reason_is_given(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    missing_reason = post_items(customer, resend(page, **{"qty-L1": "1"}))
    assert "Choose a reason." in missing_reason.text
    assert quantity_shown(missing_reason.text, "L1") == "1"

    fixed = post_items(customer, resend(missing_reason.text, **{"reason-L1": "too_small"}))

    assert "Choose at least one item" not in fixed.text
    assert fixed.status_code == 302
    next_step = customer.client.get(fixed.headers["Location"]).text
    assert "T-shirt" in next_step and "× 1" in next_step


def test_the_note_and_reason_are_shown_again_after_an_error(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    answer = post_items(
        customer, resend(page, **{"qty-L1": "3", "reason-L1": "other", "note-L1": "Itchy"})
    )
    assert "You can return at most 2 of this item." in answer.text
    values = form_values(answer.text)
    assert (values["reason-L1"], values["note-L1"]) == ("other", "Itchy")


def test_each_line_shows_the_price_paid_for_it(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    assert re.search(r"Price paid: [^<]*129\.00 each<", page)  # the two T-shirts
    assert re.search(r"Price paid: [^<]*69\.00<", page)  # the mug


def test_a_line_discount_that_does_not_split_evenly_shows_the_line_s_price(customer):
    document = recent_order_document("1004")
    document["lines"][0]["line_discount"] = 1  # 2 × 129.00 − 0.01
    upsert_order(document)
    db.session.commit()
    customer.find(number="1004")
    page = customer.client.get("/return/items").text
    assert re.search(r"Price paid: [^<]*257\.99 for 2<", page)


# Photos only where the reason needs them ----------------------------------------------------


def test_the_photo_field_names_the_reasons_that_need_photos(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    tee = re.search(r'<fieldset class="card line" id="line-L1">.*?</fieldset>', page, re.S)
    assert tee is not None
    assert 'data-photos="photos-field-L1"' in tee.group(0)
    assert 'data-reasons="not_as_described defective damaged_in_transit wrong_item"' in tee.group(0)
    assert (
        "Photos: only needed for Not as described, Defective or doesn&#39;t work, "
        "Arrived damaged, or Wrong item sent"
    ) in tee.group(0)


def test_a_reason_that_needs_photos_is_still_refused_without_one(customer):
    customer.find()
    page = customer.client.get("/return/items").text
    answer = post_items(customer, resend(page, **{"qty-L1": "1", "reason-L1": "defective"}))
    assert "Add at least one photo showing the problem." in answer.text
    with_photo = post_items(
        customer,
        resend(answer.text),
        **{"photos-L1": (io.BytesIO(photo_bytes()), "IMG_1.jpg")},
    )
    assert with_photo.status_code == 302


def test_no_photo_field_when_the_policy_needs_no_photos(customer, cli, tmp_path):
    document = policy.default_document("cn-7day")
    document["defect"]["photos_required"] = False
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    assert cli.invoke(args=["policy", "load", str(path)]).exit_code == 0
    customer.find()
    page = customer.client.get("/return/items").text
    assert 'type="file"' not in page and "photo needed" not in page


# The options step folded into the review ----------------------------------------------------


def draft_of(*items: DraftItem, method: str = "label") -> Draft:
    return Draft("1001", list(items), method=method)


def test_the_defaults_stand_for_a_refund_by_label_with_the_cheapest_carrier():
    found = default_options([choice("L1")], draft_of(DraftItem("L1", 1, "too_small")), RATES)
    assert found is not None
    assert (found.resolutions, found.method, found.carrier_service) == (
        {"L1": "refund"}, "label", "swift:economy",
    )  # fmt: skip


def test_a_carrier_and_resolution_chosen_before_are_kept():
    draft = draft_of(DraftItem("L1", 1, "too_small", resolution="store_credit"))
    draft.carrier, draft.service = "swift", "express"
    found = default_options([choice("L1")], draft, RATES)
    assert found is not None
    assert (found.resolutions, found.carrier_service) == ({"L1": "store_credit"}, "swift:express")


def test_an_exchange_only_line_still_asks_for_the_size_or_colour():
    exchange_only = choice("L1", allowed_resolutions=(policy.Resolution.EXCHANGE,))
    draft = draft_of(DraftItem("L1", 1, "too_small"))
    assert default_options([exchange_only], draft, RATES) is None


def test_an_exchange_whose_variant_was_chosen_before_stands():
    draft = draft_of(DraftItem("L1", 1, "too_small", resolution="exchange", exchange_sku="M"))
    found = default_options([choice("L1")], draft, RATES)
    assert found is not None and found.exchange_skus == {"L1": "M"}


def test_a_line_s_only_resolution_is_its_default():
    credit_only = choice("L1", allowed_resolutions=(policy.Resolution.STORE_CREDIT,))
    found = default_options([credit_only], draft_of(DraftItem("L1", 1, "too_small")), RATES)
    assert found is not None and found.resolutions == {"L1": "store_credit"}


def test_a_choice_between_resolutions_without_the_refund_asks():
    two = choice(
        "L1", allowed_resolutions=(policy.Resolution.STORE_CREDIT, policy.Resolution.EXCHANGE)
    )
    assert default_options([two], draft_of(DraftItem("L1", 1, "too_small")), RATES) is None


def test_the_only_method_the_items_share_is_the_default():
    qr_only = choice("L1", allowed_methods=(policy.ReturnMethod.QR_DROPOFF,))
    found = default_options([qr_only], draft_of(DraftItem("L1", 1, "too_small")), RATES)
    assert found is not None and found.method == "qr_dropoff"


def test_items_that_share_no_method_ask():
    label = choice("L1", allowed_methods=(policy.ReturnMethod.LABEL,))
    qr = choice("L2", allowed_methods=(policy.ReturnMethod.QR_DROPOFF,))
    draft = draft_of(DraftItem("L1", 1, "too_small"), DraftItem("L2", 1, "too_small"))
    assert default_options([label, qr], draft, RATES) is None


def test_without_a_priced_carrier_the_options_page_asks():
    assert default_options([choice("L1")], draft_of(DraftItem("L1", 1, "too_small")), {}) is None


def test_continue_goes_straight_to_the_review_when_the_defaults_stand(customer):
    customer.find()
    answer = customer.choose()
    assert answer.headers["Location"].endswith("/return/review")
    review = customer.review_page().text
    assert "Refund to my original payment" in review
    assert "Print a prepaid label" in review
    assert re.search(r"<br>[^<]+ · [^<]+ · [^<]*6\.00</p>", review)  # the cheapest carrier
    assert 'href="/return/options">Change' in review
    assert "Next you get your prepaid label on screen" in review


def test_the_options_page_stays_reachable_from_the_review_and_its_choice_is_kept(customer):
    customer.find()
    customer.choose()
    assert customer.client.get("/return/options").status_code == 200
    answer = customer.options({"resolution-L1": "store_credit"})
    assert answer.headers["Location"].endswith("/return/review")
    assert "Store credit" in customer.review_page().text
    again = customer.choose()  # back to the items and on: the choice made is kept
    assert again.headers["Location"].endswith("/return/review")
    assert "Store credit" in customer.review_page().text


def test_the_review_offers_the_store_credit_bonus_it_did_not_ask_about(customer, cli, tmp_path):
    document = policy.default_document("cn-7day")
    document["resolutions"]["store_credit_bonus_percent"] = 10
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    assert cli.invoke(args=["policy", "load", str(path)]).exit_code == 0
    customer.find()
    customer.choose()
    assert "Prefer store credit? It comes with a 10% bonus." in customer.review_page().text


# The coupon's share on the review -----------------------------------------------------------


def test_the_review_explains_a_refund_below_the_price_paid_by_the_coupon_s_share(customer):
    document = recent_order_document("1003")
    document.update(order_discount=2000, coupon_code="WELCOME20")
    upsert_order(document)
    db.session.commit()
    customer.find(number="1003")
    customer.choose()
    page = customer.review_page().text
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', page))
    assert rows["T-shirt × 1"].endswith("129.00")  # the price paid, as the items page says
    # 20.00 over 258.00 of T-shirts, a 199.00 kettle and a 69.00 mug: the T-shirts carry 9.81
    # of it, the first one returned 4.91 (rounded so the refund rounds down).
    assert rows["Coupon WELCOME20: its share of this item"].endswith("4.91")
    assert rows["Total"].endswith("118.09")  # 129.00 − 4.91 − the 6.00 label


def test_no_coupon_row_without_a_coupon(customer):
    customer.find()
    customer.choose()
    assert "Coupon" not in customer.review_page().text


# The label on screen after confirming ---------------------------------------------------------


def test_the_confirmation_shows_the_label_itself_with_print_and_save(customer):
    number = customer.complete()
    page = customer.client.get(f"/returns/{number}?confirmed=1").text
    label = section(page, "label-sheet")
    assert f'src="/returns/{number}/label.svg"' in label
    assert f'href="/returns/{number}/label.pdf" download' in label
    assert "data-print hidden" in label  # shown by returns.js; without it, save and print
    picture = customer.client.get(f"/returns/{number}/label.svg")
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
    assert "Content-Disposition" not in picture.headers  # shown in the page, not downloaded
    assert number in picture.text
    assert len(page.encode()) + len(picture.data) < 60_000  # the page stays small


def test_the_return_page_opened_later_does_not_repeat_the_label_sheet(customer):
    number = customer.complete()
    assert "label-sheet" not in customer.client.get(f"/returns/{number}").text


def test_a_drop_off_return_leads_with_the_qr_code_and_asks_for_no_printing(customer):
    customer.find()
    customer.choose()
    customer.options({"method": "qr_dropoff"})
    review = customer.review_page()
    assert "No printer needed." in review.text
    assert "print it, or save it" not in review.text
    customer.confirm(review)
    rma = db.session.scalars(select(Return)).one()
    page = customer.client.get(f"/returns/{rma.number}?confirmed=1").text
    sheet = section(page, "label-sheet")
    first_picture = re.search(r'<img [^>]*src="([^"]+)"', sheet)
    assert first_picture is not None and first_picture.group(1).endswith("/qr.svg")
    assert "no printer needed" in sheet
    # No printing asked of the customer: no print button, label picture or packing slip.
    assert not re.search(r"Print|print it|slip|label\.(svg|pdf)|data-print", sheet)
    png = customer.client.get(f"/returns/{rma.number}/qr.png")
    assert png.data.startswith(b"\x89PNG") and "attachment" in png.headers["Content-Disposition"]
