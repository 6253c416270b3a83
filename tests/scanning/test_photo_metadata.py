"""Orientation, capture time and the metadata a processed photo keeps or loses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PIL import ExifTags

from scanning.photo_metadata import GpsPosition
from scanning.photos import process_photo
from tests.scanning.photo_samples import (
    BLUE,
    RED,
    XMP,
    camera_exif,
    decode,
    encode,
    near,
    phone_jpeg,
    solid,
    top_left_marked,
)

DEVICE_TRACES = (b"Canon", b"EOS R5", b"SN-0423", b"Firmware", b"CanonNote", b"ns.adobe.com/xap")


@pytest.mark.parametrize(
    ("orientation", "red_at", "blue_at"),
    [
        # 6: the camera was turned clockwise; showing it upright moves top-left to top-right.
        pytest.param(6, (60, 20), (20, 20), id="rotate-clockwise"),
        # 8: turned the other way; top-left ends bottom-left.
        pytest.param(8, (20, 140), (20, 20), id="rotate-anticlockwise"),
    ],
)
def test_exif_orientation_is_applied_to_the_pixels(orientation, red_at, blue_at):
    photo = process_photo(phone_jpeg(top_left_marked((160, 80)), orientation=orientation))

    image = decode(photo.image)
    assert image.size == (photo.width, photo.height) == (80, 160)
    assert (photo.original_width, photo.original_height) == (80, 160)
    assert near(image.getpixel(red_at), RED)
    assert near(image.getpixel(blue_at), BLUE)
    assert near(decode(photo.thumb).getpixel(red_at), RED)


def test_capture_time_without_offset_is_read_in_the_deployment_timezone():
    photo = process_photo(phone_jpeg(taken="2024:05:01 14:30:00"))

    assert photo.taken_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_capture_time_uses_another_deployment_timezone():
    photo = process_photo(phone_jpeg(taken="2024:07:01 14:30:00"), timezone="Europe/Berlin")

    assert photo.taken_at == datetime(2024, 7, 1, 12, 30, tzinfo=UTC)


def test_capture_time_offset_tag_wins_over_the_deployment_timezone():
    photo = process_photo(phone_jpeg(taken="2024:05:01 14:30:00", offset="-05:00"))

    assert photo.taken_at == datetime(2024, 5, 1, 19, 30, tzinfo=UTC)


def test_capture_time_falls_back_to_the_file_date_time():
    photo = process_photo(phone_jpeg(taken=None, date_time="2023:12:31 23:59:59"))

    assert photo.taken_at == datetime(2023, 12, 31, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "offset"),
    [
        ("0000:00:00 00:00:00", None),
        ("    :  :     :  :  ", None),
        ("yesterday", None),
        ("0001:01:01 00:00:00", None),
        ("9999:12:31 23:59:59", "-05:00"),
    ],
)
def test_blank_or_garbage_capture_time_is_none(stamp, offset):
    assert process_photo(phone_jpeg(taken=stamp, offset=offset)).taken_at is None


def test_photo_without_exif_has_no_capture_time():
    assert process_photo(encode(solid((16, 16)), "PNG")).taken_at is None


def test_capture_time_is_read_from_png_and_webp_too():
    exif = camera_exif()
    for fmt in ("PNG", "WEBP"):
        photo = process_photo(encode(solid((16, 16)), fmt, exif=exif))
        assert photo.taken_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_gps_and_device_data_are_stripped_by_default():
    photo = process_photo(phone_jpeg(orientation=6))

    assert photo.gps is None
    for output in (photo.image, photo.thumb):
        image = decode(output)
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & image.info.keys()
        assert not [trace for trace in DEVICE_TRACES if trace in output]


def test_keep_metadata_returns_gps_and_keeps_exif_in_the_image():
    photo = process_photo(phone_jpeg(orientation=6), keep_metadata=True)

    assert photo.gps == GpsPosition(latitude=31.2304, longitude=121.4737, altitude=12.5)
    exif = decode(photo.image).getexif()
    assert exif[ExifTags.Base.Make] == "Canon"
    assert exif[ExifTags.Base.Model] == "EOS R5"
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    # The pixels are already upright, so the tag must not rotate them again.
    assert exif.get(ExifTags.Base.Orientation, 1) == 1
    assert XMP in photo.image
    assert b"Canon" not in photo.thumb


def test_gps_in_the_southern_and_western_hemispheres_is_negative():
    exif = camera_exif(hemispheres="SW", below_sea=True)

    photo = process_photo(encode(solid((16, 16)), "JPEG", exif=exif), keep_metadata=True)

    assert photo.gps == GpsPosition(latitude=-31.2304, longitude=-121.4737, altitude=-12.5)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_block_does_not_refuse_the_photo():
    data = encode(solid((16, 16)), "JPEG", exif=b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xff")

    photo = process_photo(data, keep_metadata=True)

    assert (photo.taken_at, photo.gps) == (None, None)


def test_orientation_is_applied_to_a_photo_that_is_also_shrunk():
    photo = process_photo(phone_jpeg(top_left_marked((3000, 1500)), orientation=6))

    image = decode(photo.image)
    assert image.size == (1280, 2560)
    assert (photo.original_width, photo.original_height) == (1500, 3000)
    assert near(image.getpixel((1000, 300)), RED)
    assert near(image.getpixel((300, 300)), BLUE)


@pytest.mark.parametrize("keep_metadata", [False, True])
def test_exif_that_pillow_cannot_rewrite_does_not_refuse_the_photo(keep_metadata):
    # Renumber GPSLongitude (4, three rationals) as GPSDestDistanceRef (25, a string).
    longitude_entry = b"\x00\x04\x00\x05\x00\x00\x00\x03"  # Pillow writes big-endian EXIF
    data = phone_jpeg(orientation=6)
    assert data.count(longitude_entry) == 1
    data = data.replace(longitude_entry, b"\x00\x19" + longitude_entry[2:])

    photo = process_photo(data, keep_metadata=keep_metadata)

    assert (photo.width, photo.height) == (80, 160)
    assert near(decode(photo.image).getpixel((60, 20)), RED)
