"""A return bought from an HTTP carrier gives the customer the carrier's own label (its
barcode is the one the carrier scans), on the page and attached to the mail; while the
carrier can't be reached for it the page says so and nothing is lost."""

from __future__ import annotations

from returns_portal.returns.services.links import signed_link_token
from returns_portal.shipping.carriers import CarrierError
from returns_portal.shipping.services import live_shipment
from tests.mail import attachments
from tests.returns.test_states import mails_of
from tests.shipping.test_tracking import ep, open_ep_return, shop

__all__ = ["ep", "shop"]  # fixtures


def test_the_label_is_the_carriers_own_file_on_the_page_and_in_the_mail(shop, ep, standin):
    rma = open_ep_return(shop)
    shipment = live_shipment(rma)
    carriers_pdf = ep.download(shipment.label_url)
    with shop.test_request_context():
        token = signed_link_token(rma)
    client = shop.test_client()
    page = client.get(f"/returns/{rma.number}/label.pdf?t={token}")
    assert page.status_code == 200 and page.mimetype == "application/pdf"
    assert page.data == carriers_pdf
    zpl = client.get(f"/returns/{rma.number}/label.zpl?t={token}")
    assert zpl.status_code == 200 and zpl.data == ep.download(shipment.label_zpl_url)
    mail = mails_of(shop, rma)[0]
    assert attachments(mail)[f"{rma.number}-label.pdf"] == carriers_pdf
    # The slip is still the portal's: the carrier makes none.
    assert client.get(f"/returns/{rma.number}/slip.pdf?t={token}").data.startswith(b"%PDF")


def test_a_carrier_out_of_reach_gets_a_page_that_says_to_try_again(shop, ep, standin, monkeypatch):
    rma = open_ep_return(shop)
    with shop.test_request_context():
        token = signed_link_token(rma)

    def unreachable(url: str) -> bytes:
        raise CarrierError("EasyPost could not be reached")

    monkeypatch.setattr(ep, "download", unreachable)
    answer = shop.test_client().get(f"/returns/{rma.number}/label.pdf?t={token}")
    assert answer.status_code == 503
    assert "We couldn't reach the carrier for your label" in answer.text
