"""Bad uploads fail fast with a clear Chinese error, never a hang or a stack trace."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from models.errors import InvalidInput, TooLarge, UnsupportedMedia
from scanning.decode import decode
from scanning.imaging import DamagedImage, EmptyImage, ImageTooLarge, UnknownImageFormat


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims the given size, followed by one row of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 17)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_empty_bytes_are_refused_as_invalid_input():
    with pytest.raises(EmptyImage) as caught:
        decode(b"")
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.message == "图片为空，请重新拍照或上传"


def test_garbage_bytes_are_an_unknown_image_format():
    with pytest.raises(UnknownImageFormat) as caught:
        decode(b"this is not an image, just some text from a confused client" * 20)
    assert isinstance(caught.value, UnsupportedMedia)
    assert caught.value.status == 415
    assert caught.value.message.startswith("无法识别的图片格式")


def test_postscript_is_refused_even_though_pillow_could_open_it():
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n%%EOF\n"
    with pytest.raises(UnknownImageFormat):
        decode(eps)


def test_truncated_jpeg_is_a_damaged_image(sample_image):
    jpeg = encoded(sample_image("qrcode/qrcode-2__34.png").resize((400, 400)), "JPEG")
    with pytest.raises(DamagedImage) as caught:
        decode(jpeg[: len(jpeg) // 2])
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.message == "图片已损坏或不完整"


def test_png_with_too_little_pixel_data_is_a_damaged_image():
    with pytest.raises(DamagedImage):
        decode(png_claiming(64, 64))


def test_png_cut_off_inside_its_header_is_a_damaged_image():
    with pytest.raises(DamagedImage):
        decode(png_claiming(64, 64)[:20])


def test_png_claiming_ten_gigapixels_is_refused_before_decoding():
    with pytest.raises(ImageTooLarge) as caught:
        decode(png_claiming(100_000, 100_000))
    assert isinstance(caught.value, TooLarge)
    assert caught.value.status == 413


def test_png_above_the_default_limit_but_below_pillows_own_is_refused():
    # 64 MP: Pillow would only warn; our 20 MP default (a phone camera's size) refuses it from the
    # header.
    with pytest.raises(ImageTooLarge) as caught:
        decode(png_claiming(8_000, 8_000))
    assert caught.value.details == {"width": 8_000, "height": 8_000, "limit": 20_000_000}


def test_pixel_limit_is_configurable(sample_image):
    png = encoded(sample_image("qrcode/qrcode-2__34.png"), "PNG")
    assert decode(png)
    with pytest.raises(ImageTooLarge):
        decode(png, max_pixels=99 * 99 - 1)


def test_transparent_png_is_read_as_dark_on_white(sample_image):
    qr = sample_image("qrcode/qrcode-2__34.png").convert("L")
    # Dark modules opaque, light ones fully transparent black: only alpha carries the code.
    rgba = Image.new("RGBA", qr.size, (0, 0, 0, 0))
    rgba.putalpha(qr.point(lambda v: 255 if v < 128 else 0))
    assert [c.text for c in decode(encoded(rgba, "PNG"))] == ["http://www.google.com/"]


@pytest.mark.parametrize("size", [(1, 1), (1, 5000), (5000, 1), (3000, 2)])
def test_degenerate_image_sizes_decode_to_nothing(size):
    assert decode(encoded(Image.new("L", size, 128), "PNG")) == []
