"""Rules for the text of a scanned code: symbology names, EAN/UPC check digits, stored forms.

Retail codes are kept in the form the photo decoder reports (scanning.symbols): EAN-8 as 8
digits, EAN-13, UPC-A and UPC-E as the 13-digit GTIN-13. A UPC-A that a phone returns as 12
digits therefore finds the alias a photo bound as 13, and the other way round.
"""

from __future__ import annotations

from app.services.procurement.errors import BadChecksum
from scanning.symbols import RETAIL, check_digit_ok, expand_upce

_TYPE_NAMES = {"EAN13": "EAN_13", "EAN8": "EAN_8", "UPCA": "UPC_A", "UPCE": "UPC_E"}
_RETAIL_LENGTHS = (8, 12, 13)
_CANONICAL_LENGTH = {"EAN_8": 8, "EAN_13": 13, "UPC_A": 13, "UPC_E": 13}


def normalise_type(scan_type: str | None) -> str | None:
    """A scanner's symbology name in our spelling (EAN_13, QR_CODE, ...), or None."""
    if not scan_type or not scan_type.strip():
        return None
    name = scan_type.strip().upper().replace("-", "_")
    return _TYPE_NAMES.get(name, name)


def retail_text(text: str, symbology: str) -> str:
    """The canonical text of an EAN/UPC code; BadChecksum when digits or check digit are wrong."""
    canonical = None
    if text.isascii() and text.isdigit():
        if symbology == "UPC_E" and len(text) == 8:
            canonical = expand_upce(text)
        elif symbology == "UPC_A" and len(text) == 12:
            canonical = "0" + text
        elif len(text) == _CANONICAL_LENGTH[symbology]:
            canonical = text
    if canonical is None or not check_digit_ok(canonical):
        raise BadChecksum(symbology=symbology)
    return canonical


def alias_form(text: str, symbology: str | None) -> str:
    """How a supplier's code is stored when bound to a material."""
    fmt = normalise_type(symbology)
    if fmt in RETAIL:
        return retail_text(text, fmt)
    return lookup_forms(text, None)[-1]


def lookup_forms(text: str, scan_type: str | None) -> list[str]:
    """The texts to look a scanned code up by, most literal first."""
    fmt = normalise_type(scan_type)
    if fmt in RETAIL:
        canonical = retail_text(text, fmt)
        return [canonical] if canonical == text else [text, canonical]
    if _is_digits(text, 12) and check_digit_ok("0" + text):
        # A UPC-A from a scanner that does not name the symbology (DingTalk says "barCode").
        return [text, "0" + text]
    return [text]


def bad_retail_digits(text: str) -> bool:
    """Digits of an EAN/UPC length whose check digit is wrong: most likely a misread."""
    if not any(_is_digits(text, n) for n in _RETAIL_LENGTHS):
        return False
    return not check_digit_ok("0" + text if len(text) == 12 else text)


def _is_digits(text: str, length: int) -> bool:
    return len(text) == length and text.isascii() and text.isdigit()
