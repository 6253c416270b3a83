"""Capture time and GPS position read from a photo's EXIF; broken tags read as absent."""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from PIL import ExifTags, Image

_STAMP_FORMATS = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S")
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
# Pillow raises any of these reading or rewriting a malformed EXIF block; a photo is still
# useful without it.
EXIF_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error)


@dataclass(frozen=True)
class GpsPosition:
    """Where the photo was taken: WGS 84 degrees, altitude in metres above sea level."""

    latitude: float
    longitude: float
    altitude: float | None = None


@dataclass(frozen=True)
class PhotoMetadata:
    """What the pipeline keeps from EXIF: capture time (aware, UTC) and GPS position."""

    taken_at: datetime | None = None
    gps: GpsPosition | None = None


def read_metadata(image: Image.Image, *, zone: tzinfo) -> PhotoMetadata:
    """Read capture time and GPS position; a broken EXIF block yields neither."""
    try:
        exif = image.getexif()
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except EXIF_ERRORS:
        return PhotoMetadata()
    return PhotoMetadata(_taken_at(exif, exif_ifd, zone), _gps(gps_ifd))


def _taken_at(exif: Image.Exif, exif_ifd: dict, zone: tzinfo) -> datetime | None:
    """Return DateTimeOriginal, else DateTime, as UTC; without an offset tag it is in `zone`."""
    candidates = (
        (
            exif_ifd.get(ExifTags.Base.DateTimeOriginal),
            exif_ifd.get(ExifTags.Base.OffsetTimeOriginal),
        ),
        (exif.get(ExifTags.Base.DateTime), exif_ifd.get(ExifTags.Base.OffsetTime)),
    )
    for stamp, offset in candidates:
        local = _parse_stamp(stamp)
        if local is None:
            continue
        try:
            return local.replace(tzinfo=_parse_offset(offset) or zone).astimezone(UTC)
        except OverflowError:
            return None  # A garbage year 1 or 9999 cannot be moved to UTC.
    return None


def _text(value: object) -> str:
    """Decode an EXIF ASCII value, which cameras pad with NULs and spaces."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _parse_stamp(value: object) -> datetime | None:
    """Parse an EXIF 'YYYY:MM:DD HH:MM:SS' stamp; blank or zeroed stamps are None."""
    text = _text(value)
    for fmt in _STAMP_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _parse_offset(value: object) -> timezone | None:
    """Parse an EXIF '+08:00' offset tag."""
    match = _OFFSET.fullmatch(_text(value))
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    try:
        return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
    except ValueError:
        return None


def _gps(gps_ifd: dict) -> GpsPosition | None:
    """Return the GPS position when both coordinates are present and in range."""
    latitude = _degrees(
        gps_ifd.get(ExifTags.GPS.GPSLatitude), gps_ifd.get(ExifTags.GPS.GPSLatitudeRef), "S"
    )
    longitude = _degrees(
        gps_ifd.get(ExifTags.GPS.GPSLongitude), gps_ifd.get(ExifTags.GPS.GPSLongitudeRef), "W"
    )
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return GpsPosition(round(latitude, 7), round(longitude, 7), _altitude(gps_ifd))


def _degrees(dms: object, ref: object, negative_ref: str) -> float | None:
    """Turn EXIF (degrees, minutes, seconds) rationals into signed decimal degrees."""
    try:
        degrees, minutes, seconds = (float(part) for part in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    return -value if _text(ref).upper() == negative_ref else value


def _altitude(gps_ifd: dict) -> float | None:
    """Return altitude in metres; reference 1 means below sea level."""
    try:
        altitude = float(gps_ifd[ExifTags.GPS.GPSAltitude])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(altitude):
        return None
    below_sea = gps_ifd.get(ExifTags.GPS.GPSAltitudeRef) in (1, b"\x01")
    return round(-altitude if below_sea else altitude, 2)
