"""Decoded barcodes and the rules that make two engines agree on what they saw.

Format names are upper snake case (QR_CODE, EAN_13, ...). EAN/UPC texts follow zxing-cpp 3:
UPC-A and UPC-E come out as the 13-digit GTIN-13 (leading 0, UPC-E expanded), EAN-8 as 8
digits, and every EAN/UPC text must carry a valid check digit or it is dropped. A UPC-A read by
zbar as EAN-13 therefore has the same text as the one zxing-cpp reads, and deduplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[int, int]

RETAIL = frozenset({"EAN_13", "EAN_8", "UPC_A", "UPC_E"})

# zbar type names that differ from ours; the rest are already upper snake case.
_ZBAR_NAMES = {
    "QRCODE": "QR_CODE",
    "I25": "ITF",
    "EAN13": "EAN_13",
    "EAN8": "EAN_8",
    "ISBN13": "EAN_13",
    "ISBN10": "ISBN_10",
    "UPCA": "UPC_A",
    "UPCE": "UPC_E",
    "CODE128": "CODE_128",
    "CODE39": "CODE_39",
    "CODE93": "CODE_93",
    "PDF417": "PDF_417",
    "DATABAR": "DATA_BAR",
    "DATABAR_EXP": "DATA_BAR_EXPANDED",
    "EAN2": "EAN_2",
    "EAN5": "EAN_5",
}

# zxing-cpp BarcodeFormat member names that differ from ours.
_ZXING_NAMES = {
    "QRCode": "QR_CODE",
    "MicroQRCode": "MICRO_QR_CODE",
    "RMQRCode": "RMQR_CODE",
    "DataMatrix": "DATA_MATRIX",
    "PDF417": "PDF_417",
    "Code128": "CODE_128",
    "Code39": "CODE_39",
    "Code39Std": "CODE_39",
    "Code39Ext": "CODE_39",
    "Code93": "CODE_93",
    "EAN13": "EAN_13",
    "EAN8": "EAN_8",
    "UPCA": "UPC_A",
    "UPCE": "UPC_E",
    "ITF": "ITF",
    "ITF14": "ITF",
    "Codabar": "CODABAR",
    "Aztec": "AZTEC",
    "AztecCode": "AZTEC",
    "MaxiCode": "MAXICODE",
    "DataBar": "DATA_BAR",
    "DataBarExp": "DATA_BAR_EXPANDED",
    "DataBarLtd": "DATA_BAR_LIMITED",
}


@dataclass(frozen=True)
class Code:
    """One barcode found in an image: normalised format, exact text, corners in image pixels."""

    format: str
    text: str
    position: tuple[Point, ...] = ()
    engine: str = ""

    def key(self) -> tuple[str, str]:
        """What makes two reads the same code, whichever engine produced them."""
        family = "RETAIL" if self.format in RETAIL else self.format
        return family, self.text


def zbar_format(name: str) -> str:
    """Our format name for a zbar symbol type."""
    return _ZBAR_NAMES.get(name, name)


def zxing_format(name: str) -> str:
    """Our format name for a zxing-cpp BarcodeFormat member name."""
    if name in _ZXING_NAMES:
        return _ZXING_NAMES[name]
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name))
    return snake.upper()


def normalise(code: Code) -> Code | None:
    """Bring a raw engine read to the shared form, or None when it cannot be trusted."""
    if code.format in RETAIL:
        return _normalise_retail(code)
    if code.format == "CODE_39" and code.engine == "zbar":
        return _replace(code, code.format, code39_full_ascii(code.text))
    return code


def _normalise_retail(code: Code) -> Code | None:
    """GTIN-13 text for UPC, verified check digit, UPC_A for an EAN-13 that starts with 0."""
    text = code.text
    if not text.isascii() or not text.isdigit():
        return None
    if code.format == "UPC_E" and len(text) == 8:
        text = expand_upce(text)
    elif code.format == "UPC_A" and len(text) == 12:
        text = "0" + text
    expected = 8 if code.format == "EAN_8" else 13
    if text is None or len(text) != expected or not check_digit_ok(text):
        return None
    fmt = "UPC_A" if code.format == "EAN_13" and text[0] == "0" else code.format
    return _replace(code, fmt, text)


def _replace(code: Code, fmt: str, text: str) -> Code:
    """A copy with another format and text."""
    return Code(format=fmt, text=text, position=code.position, engine=code.engine)


def check_digit_ok(digits: str) -> bool:
    """GS1 mod-10 check over an EAN-8, UPC-A or EAN-13 digit string."""
    body, check = digits[:-1], int(digits[-1])
    # Weights run 3, 1, 3, ... from the digit next to the check digit, for every GS1 length.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def expand_upce(upce: str) -> str | None:
    """The 13-digit GTIN of an 8-digit UPC-E (number system, six digits, check digit)."""
    system, d, check = upce[0], upce[1:7], upce[7]
    if system not in "01":
        return None
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return "0" + system + body + check


_EXT_SHIFT = {
    "$": {chr(c): chr(c - 64) for c in range(ord("A"), ord("Z") + 1)},
    "+": {chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
    "/": {
        **{chr(c): chr(c - 32) for c in range(ord("A"), ord("O") + 1)},
        "Z": ":",
    },
    "%": {
        **dict(zip("ABCDE", "\x1b\x1c\x1d\x1e\x1f", strict=True)),
        **dict(zip("FGHIJ", ";<=>?", strict=True)),
        **dict(zip("KLMNO", "[\\]^_", strict=True)),
        **dict(zip("PQRST", "{|}~\x7f", strict=True)),
        **dict(zip("UVWXYZ", "\x00@`\x7f\x7f\x7f", strict=True)),
    },
}


def code39_full_ascii(text: str) -> str:
    """Decode Code 39 full-ASCII shift pairs, as zxing-cpp does; raw text if any pair is invalid."""
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        table = _EXT_SHIFT.get(char)
        if table is None:
            out.append(char)
            continue
        decoded = table.get(next(chars, ""))
        if decoded is None:
            return text
        out.append(decoded)
    return "".join(out)
