"""Real image bytes for photo tests, made with Pillow (and by hand where Pillow will not write)."""

from __future__ import annotations

import random
import struct
import zlib
from io import BytesIO

from PIL import ExifTags, Image, ImageCms

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)
WHITE = (255, 255, 255)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><tiff:Make>Canon</tiff:Make></x:xmpmeta>'
SHANGHAI_GPS = ((31, 13, 49.44), (121, 28, 25.32))


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    """Save an image to bytes."""
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    """Open and load image bytes."""
    image = Image.open(BytesIO(data))
    image.load()
    return image


def near(actual, expected, tolerance: int = 12) -> bool:
    """Compare colours allowing for JPEG loss."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def solid(size: tuple[int, int], color=RED, mode: str = "RGB") -> Image.Image:
    """A one-colour image."""
    return Image.new(mode, size, color)


def top_left_marked(size: tuple[int, int] = (160, 80)) -> Image.Image:
    """A blue image whose top-left quarter is red, to see where a rotation puts it."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1] // 2))
    return image


def noisy(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """An image of random pixels, which compresses badly and so fills many bytes."""
    data = random.Random(seed).randbytes(size[0] * size[1] * 3)
    return Image.frombytes("RGB", size, data)


def camera_exif(
    *,
    orientation: int | None = None,
    taken: str | None = "2024:05:01 14:30:00",
    offset: str | None = None,
    date_time: str | None = None,
    gps: bool = True,
    hemispheres: str = "NE",
    below_sea: bool = False,
) -> Image.Exif:
    """EXIF as a phone writes it: make, model, serial, software, maker note, time, GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5"
    exif[ExifTags.Base.Software] = "Firmware 1.8.1"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if date_time is not None:
        exif[ExifTags.Base.DateTime] = date_time
    details = {ExifTags.Base.BodySerialNumber: "SN-0423", ExifTags.Base.MakerNote: b"CanonNote"}
    if taken is not None:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    exif[ExifTags.IFD.Exif] = details
    if gps:
        latitude, longitude = SHANGHAI_GPS
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: hemispheres[0],
            ExifTags.GPS.GPSLatitude: latitude,
            ExifTags.GPS.GPSLongitudeRef: hemispheres[1],
            ExifTags.GPS.GPSLongitude: longitude,
            ExifTags.GPS.GPSAltitudeRef: b"\x01" if below_sea else b"\x00",
            ExifTags.GPS.GPSAltitude: 12.5,
        }
    return exif


def phone_jpeg(image: Image.Image | None = None, **exif_options) -> bytes:
    """A JPEG carrying camera EXIF, XMP and a comment, like a phone upload."""
    image = image or top_left_marked()
    exif = camera_exif(**exif_options)
    return encode(image, "JPEG", quality=95, exif=exif, xmp=XMP, comment=b"Canon SN-0423")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(
    width: int, height: int, *, bit_depth: int, color_type: int, rows: bytes, trns=b""
) -> bytes:
    """A PNG written by hand, for depths and headers Pillow will not write."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    chunks = _chunk(b"IHDR", header)
    if trns:
        chunks += _chunk(b"tRNS", trns)
    chunks += _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header claiming a huge size with almost no pixel data: a decompression bomb."""
    return raw_png(width, height, bit_depth=8, color_type=2, rows=b"\x00" * 16)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended WebP header (VP8X) claiming a canvas size, with no image data."""
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + canvas
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def jpeg_claiming(width: int, height: int) -> bytes:
    """A JPEG header (SOF0 then SOS) claiming a size, with no scan data."""
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + components
    sos = b"\xff\xda" + struct.pack(">HB", 12, 3) + b"\x01\x00\x02\x11\x03\x11" + b"\x00\x3f\x00"
    return b"\xff\xd8" + sof + sos


def red_green_swapped_profile() -> bytes:
    """An RGB ICC profile whose red and green primaries are swapped, so conversion shows."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", data, 128)
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    data[red + 4 : red + 12], data[green + 4 : green + 12] = (
        data[green + 4 : green + 12],
        data[red + 4 : red + 12],
    )
    # Rename it so that it is not taken for plain sRGB.
    return (
        bytes(data)
        .replace(b"sRGB", b"swap")
        .replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be"))
    )
