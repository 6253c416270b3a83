"""Phone-sized frames: small codes survive the shrink-first strategy, positions map back."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from bench.frames import jpeg_bytes, noisy_frame, paste_code
from scanning.decode import QUICK_SIDE, decode
from scanning.engines import read_zxing
from scanning.imaging import load_gray

PHONE = (4000, 3000)
QR = ("qrcode/qrcode-2__34.png", "http://www.google.com/")
EAN = ("ean13/ean13-1__10.webp", "8480010001136")
CODE128 = ("code128/code128-1__2.webp", "Code 128")


def phone_photo(sample_image, *placements) -> bytes:
    """A 4000x3000 JPEG with each (sample, top-left, side) pasted onto noise."""
    frame = noisy_frame(*PHONE)
    for (path, _), at, side in placements:
        paste_code(frame, sample_image(path), at=at, side=side)
    return jpeg_bytes(frame)


def shrunk_pass_finds_nothing(data: bytes) -> bool:
    """What a plain 1600 px downscale would read: nothing, or the test proves nothing."""
    image = load_gray(data)
    work = image.resize((QUICK_SIDE, QUICK_SIDE * 3 // 4), Image.Resampling.BOX)
    return read_zxing(work, try_rotate=True, try_invert=True) == []


def test_small_qr_in_a_12_megapixel_photo_is_found(sample_image):
    data = phone_photo(sample_image, (QR, (2900, 2100), 75))
    assert shrunk_pass_finds_nothing(data)
    assert [c.text for c in decode(data)] == [QR[1]]


def test_small_ean_in_a_12_megapixel_photo_is_found(sample_image):
    data = phone_photo(sample_image, (EAN, (1200, 1150), 320))
    assert shrunk_pass_finds_nothing(data)
    assert [(c.format, c.text) for c in decode(data)] == [("EAN_13", EAN[1])]


def test_small_code_straddling_a_tile_border_is_found(sample_image):
    # Tiles start at x = 0, 1200 and 2400: a code at 1500-1850 lies in two of them.
    data = phone_photo(sample_image, (CODE128, (1500, 1500), 350))
    assert [c.text for c in decode(data)] == [CODE128[1]]


def test_large_code_is_found_in_the_quick_pass_and_small_one_when_asked_for(sample_image):
    data = phone_photo(sample_image, (QR, (300, 300), 1200), (EAN, (2900, 2200), 320))
    assert [c.text for c in decode(data)] == [QR[1]]
    assert sorted(c.text for c in decode(data, expect=2)) == sorted([QR[1], EAN[1]])


def test_positions_are_in_the_original_photos_pixels(sample_image):
    data = phone_photo(sample_image, (QR, (2900, 2100), 75))
    (code,) = decode(data)
    xs = [x for x, _ in code.position]
    ys = [y for _, y in code.position]
    # The symbol sits inside the pasted 75 px square (the sample has a quiet zone around it).
    assert min(xs) >= 2900 and max(xs) <= 2975
    assert min(ys) >= 2100 and max(ys) <= 2175


def test_light_on_dark_code_is_found(sample_image):
    frame = Image.new("RGB", (640, 480), "white")
    paste_code(frame, ImageOps.invert(sample_image(QR[0])), at=(200, 100), side=240)
    frame = ImageOps.invert(frame.convert("L"))
    buffer = io.BytesIO()
    frame.save(buffer, "PNG")
    assert [c.text for c in decode(buffer.getvalue())] == [QR[1]]


def test_ean_turned_on_its_side_is_found(sample_image):
    frame = noisy_frame(1600, 1200)
    paste_code(frame, sample_image(EAN[0]).rotate(90, expand=True), at=(600, 300), side=600)
    assert [c.text for c in decode(jpeg_bytes(frame))] == [EAN[1]]
