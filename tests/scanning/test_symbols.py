"""EAN/UPC check digits, cross-engine format names and Code 39 full ASCII."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from barcode import EAN13
from barcode.writer import ImageWriter

from scanning.decode import decode
from scanning.symbols import (
    Code,
    check_digit_ok,
    code39_full_ascii,
    expand_upce,
    normalise,
    zbar_format,
    zxing_format,
)


def ean13_png(digits: str) -> bytes:
    """An EAN-13 rendered with exactly these 13 digits, check digit included, right or wrong."""
    buffer = io.BytesIO()
    EAN13(digits, writer=ImageWriter(), no_checksum=True).write(
        buffer, options={"write_text": False, "module_width": 0.4, "quiet_zone": 8}
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    "digits", ["9780441014989", "0036602301467", "4007817327098", "96385074", "00123457"]
)
def test_valid_gs1_check_digits_pass(digits):
    assert check_digit_ok(digits)


@pytest.mark.parametrize("digits", ["9780441014988", "0036602301460", "96385075"])
def test_wrong_gs1_check_digits_fail(digits):
    assert not check_digit_ok(digits)


def test_ean_13_with_a_wrong_check_digit_is_dropped():
    assert normalise(Code("EAN_13", "9780441014988", engine="zbar")) is None
    assert normalise(Code("EAN_13", "9780441014989", engine="zbar")) is not None


@pytest.mark.parametrize("text", ["978044101498X", "97804410149", "٩٧٨٠٤٤١٠١٤٩٨٩", ""])
def test_retail_text_that_is_not_13_ascii_digits_is_dropped(text):
    assert normalise(Code("EAN_13", text, engine="zbar")) is None


def test_printed_ean_with_a_wrong_check_digit_is_not_returned():
    assert [c.text for c in decode(ean13_png("9780441014989"))] == ["9780441014989"]
    assert decode(ean13_png("9780441014988")) == []


def test_zbar_upc_a_in_twelve_digits_becomes_the_gtin_13():
    code = normalise(Code("UPC_A", "036602301467", engine="zbar"))
    assert (code.format, code.text) == ("UPC_A", "0036602301467")


def test_ean_13_starting_with_zero_is_named_upc_a():
    code = normalise(Code("EAN_13", "0036602301467", engine="zbar"))
    assert code.format == "UPC_A"
    assert code.key() == normalise(Code("UPC_A", "036602301467", engine="zbar")).key()


@pytest.mark.parametrize(
    ("upce", "gtin"),
    [
        ("04252614", "0042100005264"),
        ("01234505", "0012000003455"),
        ("01234531", "0012300000451"),
        ("01234543", "0012340000053"),
        ("01234565", "0012345000065"),
        ("11234520", "0112200003450"),
    ],
)
def test_upc_e_expands_to_its_upc_a(upce, gtin):
    assert expand_upce(upce) == gtin
    # zxing-cpp writes the UPC-E and reads back the same GTIN-13: an independent oracle.
    printed = zxingcpp.create_barcode(upce, zxingcpp.BarcodeFormat.UPCE).to_image(scale=3)
    assert [b.text for b in zxingcpp.read_barcodes(printed)] == [gtin]


def test_upc_e_of_a_number_system_other_than_0_or_1_is_dropped():
    assert expand_upce("21234567") is None
    assert normalise(Code("UPC_E", "21234567", engine="zbar")) is None


def test_zbar_upc_e_in_eight_digits_becomes_the_gtin_13():
    code = normalise(Code("UPC_E", "00123457", engine="zbar"))
    assert (code.format, code.text) == ("UPC_E", "0001234000057")


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("A+A-1234", "Aa-1234"),
        ("E+X+T+E+N+D+E+D /A%J/J/C", "Extended !?*#"),
        ("%U$A%V%W%Z", "\x00\x01@`\x7f"),
        ("PLAIN-39", "PLAIN-39"),
        ("BAD/Y", "BAD/Y"),
        ("TRAILING+", "TRAILING+"),
    ],
)
def test_code_39_full_ascii(raw, decoded):
    assert code39_full_ascii(raw) == decoded


def test_engine_format_names_agree():
    assert zbar_format("QRCODE") == zxing_format("QRCode") == "QR_CODE"
    assert zbar_format("I25") == zxing_format("ITF") == "ITF"
    assert zbar_format("EAN13") == zxing_format("EAN13") == "EAN_13"
    assert zbar_format("PDF417") == zxing_format("PDF417") == "PDF_417"
    assert zxing_format("DataMatrix") == "DATA_MATRIX"
    assert zxing_format("DXFilmEdge") == "D_X_FILM_EDGE"
