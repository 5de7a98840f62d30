"""The 4×6 return label in ZPL for 203-dpi thermal printers."""

from __future__ import annotations

import re

from returns_portal.documents import render_label_zpl
from returns_portal.documents.zpl import ascii_text
from tests.documents.builders import make_address, make_label


def zpl(**overrides) -> str:
    return render_label_zpl(make_label(**overrides)).decode("ascii")


def test_the_label_is_one_zpl_format_from_xa_to_xz():
    text = zpl()
    assert text.startswith("^XA")
    assert text.endswith("^XZ")
    assert text.count("^XA") == text.count("^XZ") == 1


def test_the_label_is_four_by_six_inches_at_203_dpi():
    assert "^PW812" in zpl() and "^LL1218" in zpl()


def test_the_tracking_number_is_a_code_128_barcode():
    assert re.search(r"\^BC[^\^]*\^FDSP681651297CN\^FS", zpl())


def test_the_rma_number_is_a_code_128_barcode_too():
    assert re.search(r"\^BC[^\^]*\^FDR-7K3M-Q9\^FS", zpl())


def test_the_qr_code_holds_the_drop_off_payload():
    assert re.search(r"\^BQN,2,\d+\^FDMA,RP1:SP681651297CN:R-7K3M-Q9\^FS", zpl())


def test_no_qr_payload_means_no_qr_code():
    assert "^BQ" not in zpl(qr_payload="")


def test_names_and_numbers_are_printed_as_text():
    text = zpl()
    for wanted in ("^FDSwift Post^FS", "^FDExpress^FS", "^FDMaria Popescu^FS", "^FD1001-2048^FS"):
        assert wanted in text


def test_every_position_is_on_the_label():
    for x, y in re.findall(r"\^FO(\d+),(\d+)", zpl()):
        assert 0 <= int(x) < 812 and 0 <= int(y) < 1218


def test_the_output_is_ascii_with_accents_dropped():
    data = render_label_zpl(make_label(from_address=make_address(city="București", name="Zoë Ærø")))
    assert data.isascii()
    assert b"Bucuresti" in data and b"Zoe AEro" in data


def test_chinese_text_is_left_out_rather_than_printed_as_fragments():
    text = zpl(
        note="请在7天内寄回",
        from_address=make_address(
            line1="浦东新区世纪大道88号", city="上海市", postal_code="200120"
        ),
    )
    assert "^FD88^FS" not in text
    assert "7" not in re.findall(r"\^FD([^\^]*)\^FS", text)
    assert "^FD200120^FS" in text  # the postal code survives its Chinese city name


def test_zpl_control_characters_in_text_are_escaped():
    text = zpl(store_name="A^B~C_D")
    assert "^FH_^FDA_5EB_7EC_5FD^FS" in text


def test_the_same_label_data_gives_the_same_zpl():
    assert render_label_zpl(make_label()) == render_label_zpl(make_label())


def test_ascii_text_keeps_what_it_can():
    assert ascii_text("Straße 5, Łódź") == "Strasse 5, Lodz"
    assert ascii_text("200120 上海市") == "200120"
    assert ascii_text("上海市") == ""
