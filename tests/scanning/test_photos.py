"""The photo pipeline: what it accepts, what it refuses, and the images it produces."""

from __future__ import annotations

import contextlib
import hashlib
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from models.errors import DomainError
from scanning.photo_errors import (
    CorruptPhoto,
    EmptyPhoto,
    PhotoTooLarge,
    PhotoTooManyPixels,
    UnsupportedPhotoType,
)
from scanning.photos import MAX_SIDE, THUMB_SIDE, process_photo
from tests.scanning.photo_samples import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    decode,
    encode,
    jpeg_claiming,
    near,
    noisy,
    png_claiming,
    raw_png,
    red_green_swapped_profile,
    solid,
    webp_claiming,
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_type_becomes_a_progressive_jpeg_and_thumbnail(fmt):
    photo = process_photo(encode(solid((64, 48)), fmt))

    image, thumb = decode(photo.image), decode(photo.thumb)
    assert (photo.source_format, photo.mime) == (fmt, "image/jpeg")
    assert (image.format, thumb.format) == ("JPEG", "JPEG")
    assert image.info.get("progressive")
    assert (photo.width, photo.height) == image.size == (64, 48)
    assert near(image.getpixel((32, 24)), RED)


def test_content_hash_is_the_sha256_of_the_original_bytes():
    data = encode(solid((16, 16)), "PNG")

    assert process_photo(data).sha256 == hashlib.sha256(data).hexdigest()


def test_png_named_jpg_is_read_as_png(tmp_path):
    upload = tmp_path / "IMG_0001.jpg"
    upload.write_bytes(encode(solid((16, 16)), "PNG"))

    assert process_photo(upload.read_bytes()).source_format == "PNG"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("工地照片，不是图片".encode(), id="text-called-jpg"),
        pytest.param(encode(solid((8, 8)), "GIF"), id="gif"),
        pytest.param(encode(solid((8, 8)), "BMP"), id="bmp"),
        pytest.param(encode(solid((8, 8)), "TIFF"), id="tiff"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"/>', id="svg"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
        pytest.param(b"\x00\x00\x00\x18ftypheic", id="heic"),
    ],
)
def test_other_types_are_refused_as_unsupported(data):
    with pytest.raises(UnsupportedPhotoType) as caught:
        process_photo(data)

    assert caught.value.status == 415


def test_empty_upload_is_refused():
    with pytest.raises(EmptyPhoto) as caught:
        process_photo(b"")

    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("max_bytes", "shown"), [(15 * 1024 * 1024, "15 MB"), (512 * 1024, "0.5 MB")]
)
def test_upload_over_the_byte_limit_is_refused_with_the_limit_in_mb(max_bytes, shown):
    data = b"\xff\xd8\xff" + bytes(max_bytes)

    with pytest.raises(PhotoTooLarge) as caught:
        process_photo(data, max_bytes=max_bytes)

    assert caught.value.status == 413
    assert shown in caught.value.message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_claiming(100_000, 100_000), id="png-10-gigapixels"),
        pytest.param(png_claiming(8_000, 8_000), id="png-64-megapixels"),
        pytest.param(jpeg_claiming(9_000, 9_000), id="jpeg-81-megapixels"),
        pytest.param(webp_claiming(16_000, 16_000), id="webp-256-megapixels"),
        pytest.param(webp_claiming(9_000, 9_000), id="webp-81-megapixels"),
    ],
)
def test_pixel_bomb_is_refused_from_its_header(data):
    # These headers come with (almost) no pixel data: decoding would report a corrupt file,
    # so a pixel-limit refusal shows the check ran before any decoding.
    with pytest.raises(PhotoTooManyPixels) as caught:
        process_photo(data)

    assert caught.value.status == 413
    assert "20" in caught.value.message


def test_header_only_image_within_the_limit_is_corrupt_not_a_bomb():
    with pytest.raises(CorruptPhoto):
        process_photo(png_claiming(100, 100))


def test_bomb_pillow_only_warns_about_is_still_refused():
    # 100 MP sits between Pillow's warning and error thresholds, and above our own limit.
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(PhotoTooManyPixels):
        process_photo(png_claiming(10_000, 10_000), max_pixels=200_000_000)


def test_bomb_is_refused_when_pillow_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PhotoTooManyPixels):
            process_photo(png_claiming(10_000, 10_000), max_pixels=200_000_000)


def test_pixel_limit_is_a_parameter():
    with pytest.raises(PhotoTooManyPixels):
        process_photo(encode(solid((100, 100)), "PNG"), max_pixels=9_999)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_file_is_refused_as_corrupt(fmt):
    data = encode(noisy((96, 96)), fmt)

    with pytest.raises(CorruptPhoto) as caught:
        process_photo(data[: len(data) // 2])

    assert caught.value.message == "图片已损坏或不完整"
    assert caught.value.status == 422


@given(
    cut=st.integers(min_value=1, max_value=2000), flips=st.lists(st.integers(0, 1999), max_size=4)
)
@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
def test_damaged_bytes_give_a_photo_or_a_domain_error(cut, flips):
    data = bytearray(encode(noisy((24, 24)), "JPEG")[:cut])
    for position in flips:
        if position < len(data):
            data[position] ^= 0xFF
    with contextlib.suppress(DomainError):
        process_photo(bytes(data))


def test_large_photo_is_shrunk_to_max_side_and_thumbnail_side():
    photo = process_photo(encode(solid((3000, 1500)), "JPEG"))

    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE // 2)
    assert (photo.original_width, photo.original_height) == (3000, 1500)
    assert decode(photo.thumb).size == (THUMB_SIDE, THUMB_SIDE // 2)


def test_big_jpeg_decoded_at_reduced_scale_reports_its_full_size():
    photo = process_photo(encode(solid((5400, 3600)), "JPEG"))

    assert (photo.width, photo.height) == (MAX_SIDE, 1707)
    assert (photo.original_width, photo.original_height) == (5400, 3600)


def test_small_photo_is_not_enlarged():
    photo = process_photo(encode(solid((120, 90)), "PNG"))

    assert (photo.width, photo.height) == (120, 90)
    assert decode(photo.thumb).size == (120, 90)


def test_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 20, 20))

    result = decode(process_photo(encode(image, "PNG")).image)

    assert result.mode == "RGB"
    assert near(result.getpixel((5, 10)), RED)
    assert near(result.getpixel((35, 10)), WHITE)


def _palette_with_transparent_index() -> bytes:
    image = Image.new("P", (16, 16), 1)
    image.putpalette([*RED, *BLUE])
    return encode(image, "PNG", transparency=1)


def _sixteen_bit_grey(trns: bytes = b"") -> bytes:
    row = b"\x00" + b"\x80\x00" * 8
    return raw_png(8, 8, bit_depth=16, color_type=0, rows=row * 8, trns=trns)


def _sixteen_bit_rgb() -> bytes:
    row = b"\x00" + b"\xff\xff\x00\x00\x00\x00" * 8
    return raw_png(8, 8, bit_depth=16, color_type=2, rows=row * 8)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(encode(solid((16, 16), (0, 255, 255, 0), "CMYK"), "JPEG"), RED, id="cmyk"),
        pytest.param(encode(solid((16, 16), 128, "L"), "JPEG"), (128, 128, 128), id="grey"),
        pytest.param(encode(solid((16, 16), (0, 0), "LA"), "PNG"), WHITE, id="grey-alpha"),
        pytest.param(encode(solid((16, 16), 1, "1"), "PNG"), WHITE, id="bilevel"),
        pytest.param(_palette_with_transparent_index(), WHITE, id="palette-transparent"),
        pytest.param(_sixteen_bit_grey(), (128, 128, 128), id="16-bit-grey"),
        pytest.param(_sixteen_bit_grey(trns=b"\x80\x00"), WHITE, id="16-bit-grey-key"),
        pytest.param(_sixteen_bit_grey(trns=b"\x00\x80"), (128, 128, 128), id="16-bit-other-key"),
        pytest.param(_sixteen_bit_rgb(), RED, id="16-bit-rgb"),
    ],
)
def test_image_modes_become_srgb(data, expected):
    result = decode(process_photo(data).image)

    assert result.mode == "RGB"
    assert near(result.getpixel((4, 4)), expected)


def test_animated_webp_keeps_the_first_frame():
    frames = [solid((16, 16), RED), solid((16, 16), BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)

    assert near(decode(process_photo(data).image).getpixel((8, 8)), RED)


def test_embedded_colour_profile_is_converted_to_srgb_and_dropped():
    data = encode(solid((16, 16), RED), "PNG", icc_profile=red_green_swapped_profile())

    result = decode(process_photo(data).image)

    assert near(result.getpixel((8, 8)), GREEN)
    assert "icc_profile" not in result.info


def test_srgb_profile_leaves_colours_alone():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(solid((16, 16), RED), "JPEG", icc_profile=srgb)

    assert near(decode(process_photo(data).image).getpixel((8, 8)), RED)


def test_unreadable_colour_profile_is_ignored():
    data = encode(solid((16, 16), RED), "PNG", icc_profile=b"not a profile")

    assert near(decode(process_photo(data).image).getpixel((8, 8)), RED)
