"""Thin adapters around the two decoding engines, zxing-cpp and zbar (through pyzbar).

Each takes a grayscale Pillow image and returns normalised Codes whose positions are mapped
back to the original image: `scale` is the size of one work-image pixel in the original and
`origin` where the work image's top left lies in it (for tiles).
"""

from __future__ import annotations

import zxingcpp
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from scanning.symbols import Code, Point, normalise, zbar_format, zxing_format

ZBAR_RETAIL = (ZBarSymbol.EAN13, ZBarSymbol.EAN8, ZBarSymbol.UPCA, ZBarSymbol.UPCE)
# zbar's PDF417 decoder is unfinished, and EAN-2/EAN-5 add-ons alone are mostly false hits
# on the edges of other bars; zxing-cpp reads PDF417 and ignores add-ons too.
_ZBAR_SKIP = ("NONE", "PARTIAL", "PDF417", "EAN2", "EAN5")
ZBAR_ALL = tuple(s for s in ZBarSymbol if s.name not in _ZBAR_SKIP)


def read_zxing(
    image: Image.Image,
    *,
    scale: float = 1.0,
    origin: Point = (0, 0),
    try_rotate: bool = False,
    try_invert: bool = False,
    try_downscale: bool = True,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
) -> list[Code]:
    """Read every format zxing-cpp knows, with the raw (Plain) text of each symbol."""
    found = zxingcpp.read_barcodes(
        image,
        try_rotate=try_rotate,
        try_invert=try_invert,
        try_downscale=try_downscale,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=binarizer,
    )
    codes = (
        Code(
            format=zxing_format(b.format.name),
            text=b.text,
            position=_place(_zxing_corners(b.position), scale, origin),
            engine="zxing",
        )
        for b in found
    )
    return [c for c in map(normalise, codes) if c is not None]


def read_zbar(
    image: Image.Image,
    *,
    scale: float = 1.0,
    origin: Point = (0, 0),
    symbols: tuple = ZBAR_ALL,
) -> list[Code]:
    """Read with zbar; its bytes are UTF-8 for QR (zbar transcodes) and ASCII elsewhere."""
    codes = (
        Code(
            format=zbar_format(r.type),
            text=_zbar_text(r.data),
            position=_place(_rect_corners(r.rect), scale, origin),
            engine="zbar",
        )
        for r in pyzbar.decode(image, symbols=list(symbols))
    )
    return [c for c in map(normalise, codes) if c is not None]


def _zbar_text(data: bytes) -> str:
    """zbar's bytes as text; Latin-1 keeps every byte when zbar's charset guess was not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _zxing_corners(position: zxingcpp.Position) -> tuple[Point, ...]:
    """Four corners, clockwise from top left."""
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return tuple((p.x, p.y) for p in corners)


def _rect_corners(rect) -> tuple[Point, ...]:
    """zbar's bounding box as four corners, clockwise from top left."""
    right, bottom = rect.left + rect.width, rect.top + rect.height
    return ((rect.left, rect.top), (right, rect.top), (right, bottom), (rect.left, bottom))


def _place(points: tuple[Point, ...], scale: float, origin: Point) -> tuple[Point, ...]:
    """Work-image points in the original image's pixels."""
    return tuple((round(x * scale + origin[0]), round(y * scale + origin[1])) for x, y in points)
