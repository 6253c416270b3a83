"""Find the barcodes in a photo: `decode(image_bytes) -> list[Code]`.

Strategy, cheapest first, stopping as soon as `expect` distinct codes are known:

1. quick: the image shrunk to at most QUICK_SIDE px on its long side; zxing-cpp upright,
   plus zbar restricted to EAN/UPC (zbar reads retail photos zxing-cpp misses, and it is
   cheap when restricted; it always runs so a wrong EAN from one engine cannot hide the right
   one from the other).
2. full size, only when the image was shrunk (small codes vanish in the quick pass):
   zxing-cpp on overlapping TILE px tiles of the original pixels. Tiles rather than one call:
   on a 12 MP frame zxing-cpp samples too few rows to catch a small EAN that it reads at once
   in a tile, and nine tiles cost about 0.2 s where one full-size call costs 0.1-0.4 s.
3. zbar on every symbology it reads (QR, Code 128, Code 39, ITF, ...).
4. zxing-cpp with rotation (linear codes at 90 degrees), then on the negative (light on dark),
   then after stretching the contrast, then with a fixed threshold (faded or glossy prints).
5. small images only: both engines on a 2x enlargement (codes of 1-2 px per module).

Each step is deterministic; no time budget decides what runs. On one core, a 12 MP phone
JPEG whose code is large enough costs ~0.1 s (step 1, loading included), one with a small
code ~0.3 s (steps 1-2), one with no code at all ~0.6 s (every step), where a single plain
full-size zxing-cpp call costs ~0.5 s and misses small EANs (bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import zxingcpp
from PIL import Image, ImageOps

from scanning.engines import ZBAR_RETAIL, read_zbar, read_zxing
from scanning.imaging import DEFAULT_MAX_PIXELS, load_gray
from scanning.symbols import Code

__all__ = ["Code", "decode", "scan"]

QUICK_SIDE = 1600
TILE = 1600
# A code up to this size lies wholly inside some tile; larger ones survive the quick pass.
TILE_OVERLAP = 400
SMALL_SIDE = 640

Step = Callable[[], list[Code]]


def decode(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, expect: int = 1) -> list[Code]:
    """The barcodes found in image bytes; a DomainError for empty, unknown or oversized images."""
    return scan(load_gray(data, max_pixels=max_pixels), expect=expect)


def scan(image: Image.Image, *, expect: int = 1) -> list[Code]:
    """The barcodes found in a grayscale image, stopping once `expect` codes are found."""
    found: dict[tuple[str, str], Code] = {}
    for step in _steps(image):
        for code in step():
            # The first engine to report a code wins: zxing-cpp runs first and names formats best.
            found.setdefault(code.key(), code)
        if len(found) >= expect:
            break
    return list(found.values())


def _steps(image: Image.Image) -> Iterator[Step]:
    """The decoding passes in the order they are tried."""
    work, scale = _shrink(image, QUICK_SIDE)
    yield lambda: read_zxing(work, scale=scale) + read_zbar(work, scale=scale, symbols=ZBAR_RETAIL)
    if scale > 1:
        yield lambda: _read_tiles(image)
    yield lambda: read_zbar(work, scale=scale)
    yield lambda: read_zxing(work, scale=scale, try_rotate=True)
    yield lambda: read_zxing(ImageOps.invert(work), scale=scale)
    yield lambda: read_zxing(ImageOps.autocontrast(work, cutoff=2), scale=scale, try_rotate=True)
    yield lambda: read_zxing(work, scale=scale, binarizer=zxingcpp.Binarizer.FixedThreshold)
    if max(image.size) <= SMALL_SIDE:
        yield lambda: _read_enlarged(image)


def _shrink(image: Image.Image, side: int) -> tuple[Image.Image, float]:
    """The image scaled to fit `side`, and the factor back to original pixels."""
    longest = max(image.size)
    if longest <= side:
        return image, 1.0
    factor = longest / side
    size = (max(1, round(image.width / factor)), max(1, round(image.height / factor)))
    # Box filtering is the cheapest filter that still averages every source pixel, so thin
    # bars are blended rather than skipped.
    return image.resize(size, Image.Resampling.BOX), factor


def _read_tiles(image: Image.Image) -> list[Code]:
    """zxing-cpp upright on each full-resolution tile."""
    codes: list[Code] = []
    for top in _starts(image.height):
        for left in _starts(image.width):
            box = (left, top, min(left + TILE, image.width), min(top + TILE, image.height))
            tile = image.crop(box)
            codes += read_zxing(tile, origin=(left, top))
    return codes


def _starts(length: int) -> list[int]:
    """Tile offsets along one axis, overlapping by TILE_OVERLAP, the last flush with the end."""
    if length <= TILE:
        return [0]
    starts = list(range(0, length - TILE, TILE - TILE_OVERLAP))
    return [*starts, length - TILE]


def _read_enlarged(image: Image.Image) -> list[Code]:
    """Both engines on a 2x bicubic enlargement, for codes printed at one or two px a module."""
    big = image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)
    return read_zxing(big, scale=0.5, try_rotate=True) + read_zbar(big, scale=0.5)
