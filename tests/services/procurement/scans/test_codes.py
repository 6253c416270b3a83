import pytest

from app.services.procurement import (
    BadChecksum,
    alias_form,
    bad_retail_digits,
    lookup_forms,
    normalise_type,
    retail_text,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("EAN_13", "EAN_13"), ("ean13", "EAN_13"), ("qr-code", "QR_CODE"), ("", None), (None, None)],
)
def test_symbology_names_are_normalised(given, expected):
    assert normalise_type(given) == expected


def test_upc_forms_become_gtin_13():
    assert retail_text("036000291452", "UPC_A") == "0036000291452"
    assert retail_text("01234565", "UPC_E") == "0012345000065"
    assert retail_text("96385074", "EAN_8") == "96385074"


@pytest.mark.parametrize(
    ("text", "symbology"),
    [
        ("6901234567891", "EAN_13"),
        ("690123456789", "EAN_13"),
        ("69O1234567892", "EAN_13"),
        ("96385075", "EAN_8"),
    ],
)
def test_wrong_digits_or_check_digits_are_refused(text, symbology):
    with pytest.raises(BadChecksum):
        retail_text(text, symbology)


def test_an_untyped_twelve_digit_upc_is_also_looked_up_as_gtin_13():
    assert lookup_forms("036000291452", "barCode") == ["036000291452", "0036000291452"]
    assert lookup_forms("036000291452", "UPC_A") == ["036000291452", "0036000291452"]
    assert lookup_forms("ABC-1", None) == ["ABC-1"]
    assert alias_form("036000291452", None) == "0036000291452"


def test_bad_retail_digits_spots_misreads_only():
    assert bad_retail_digits("6901234567891")
    assert not bad_retail_digits("6901234567892")
    assert not bad_retail_digits("12345")
