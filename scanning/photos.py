"""Photo pipeline: validate an uploaded picture, normalise it to a JPEG, make a thumbnail.

Every feature that takes a picture (site issues, daily reports, inspection defects, proof of
delivery, signed acceptance forms) goes through `process_photo`. Pure code: bytes in, a
`ProcessedPhoto` out, or a DomainError from scanning.photo_errors.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from PIL import Image, ImageCms, ImageFile, ImageMath, ImageOps, WebPImagePlugin

from scanning.photo_errors import (
    CorruptPhoto,
    EmptyPhoto,
    PhotoTooLarge,
    PhotoTooManyPixels,
    UnsupportedPhotoType,
)
from scanning.photo_metadata import EXIF_ERRORS, GpsPosition, read_metadata
from scanning.slots import DEFAULT_SLOTS, decode_slot

MAX_BYTES = 15 * 1024 * 1024
# What a phone camera makes (a 48 MP sensor bins to 12 MP photos); more is refused unread.
MAX_PIXELS = 20_000_000
MAX_SIDE = 2560
THUMB_SIDE = 400
JPEG_QUALITY = 85
JPEG_MIME = "image/jpeg"
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Pillow raises any of these for a file whose header or data is damaged.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
# Modes that resize well and that an embedded ICC profile can describe.
_RESIZABLE_MODES = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
_ICC_ERRORS = (ImageCms.PyCMSError, OSError, ValueError, TypeError)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# JPEG APP1 segments hold at most this much payload; longer EXIF/XMP cannot be kept.
_MAX_MARKER_PAYLOAD = 65000


@dataclass(frozen=True)
class ProcessedPhoto:
    """A validated photo ready to store.

    `sha256` hashes the original upload, so the same picture sent twice has the same key.
    `width`/`height` describe `image`; `original_*` the upload, upright (EXIF orientation
    applied). `taken_at` is aware and in UTC. `gps` is set only with keep_metadata=True.
    """

    sha256: str
    source_format: str
    mime: str
    width: int
    height: int
    original_width: int
    original_height: int
    taken_at: datetime | None
    gps: GpsPosition | None
    image: bytes = field(repr=False)
    thumb: bytes = field(repr=False)


def process_photo(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    keep_metadata: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
    decode_slots: int = DEFAULT_SLOTS,
) -> ProcessedPhoto:
    """Validate an uploaded photo and return its normalised JPEG and thumbnail.

    The real type is sniffed from the bytes. EXIF times without an offset tag are read as
    local time in `timezone` (the deployment's TIMEZONE). Unless `keep_metadata`, the output
    carries no EXIF, XMP, ICC profile or comment. At most `decode_slots` photos are decoded at
    once in this process.
    """
    zone = ZoneInfo(timezone)
    source_format = _check_bytes(data, max_bytes)
    with _open(data, source_format, max_pixels) as source:
        declared = source.size
        with decode_slot(decode_slots, pixels=declared[0] * declared[1]):
            return _process(data, source, source_format, zone, keep_metadata)


def _process(
    data: bytes, source: ImageFile.ImageFile, source_format: str, zone, keep_metadata: bool
) -> ProcessedPhoto:
    """Decode an opened photo (within its pixel limit) into the stored JPEG and thumbnail."""
    declared = source.size
    _decode(source)
    metadata = read_metadata(source, zone=zone)
    image, turned = _shrink_upright(source)
    kept = _kept_metadata(image) if keep_metadata else {}
    image = _to_srgb(image)
    image.info.clear()
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return ProcessedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        source_format=source_format,
        mime=JPEG_MIME,
        width=image.width,
        height=image.height,
        original_width=declared[1] if turned else declared[0],
        original_height=declared[0] if turned else declared[1],
        taken_at=metadata.taken_at,
        gps=metadata.gps if keep_metadata else None,
        image=_encode_jpeg(image, **kept),
        thumb=_encode_jpeg(thumb),
    )


def sniff_format(data: bytes) -> str | None:
    """Name the image format from its leading bytes: JPEG, PNG, WEBP, or None for others."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _check_bytes(data: bytes, max_bytes: int) -> str:
    """Refuse empty, oversized and non-JPEG/PNG/WebP uploads; return the sniffed format."""
    if not data:
        raise EmptyPhoto()
    if len(data) > max_bytes:
        raise PhotoTooLarge(limit_bytes=max_bytes)
    source_format = sniff_format(data)
    if source_format is None:
        raise UnsupportedPhotoType()
    return source_format


def _open(data: bytes, source_format: str, max_pixels: int) -> ImageFile.ImageFile:
    """Open the header only and refuse pixel bombs before any pixel is decoded."""
    # Pillow only warns between its limit and twice it; capping ours at its limit means
    # every image Pillow would merely warn about is refused here.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if source_format == "WEBP":
        # Pillow's WebP plugin allocates the whole canvas while opening, so check first.
        _check_pixels(WebPImagePlugin._get_size(data[:30]), limit)
    try:
        image = Image.open(BytesIO(data), formats=[source_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooManyPixels(limit_pixels=limit) from exc
    except _DECODE_ERRORS as exc:
        raise CorruptPhoto() from exc
    try:
        _check_pixels(image.size, limit)
    except PhotoTooManyPixels:
        image.close()
        raise
    return image


def _check_pixels(size: tuple[int, int] | None, limit: int) -> None:
    """Refuse an image whose declared size exceeds the pixel limit."""
    if size is not None and size[0] * size[1] > limit:
        raise PhotoTooManyPixels(limit_pixels=limit)


def _decode(source: ImageFile.ImageFile) -> None:
    """Decode the first frame; a JPEG decodes at 1/2 to 1/8 scale if that still fills MAX_SIDE."""
    source.draft(None, (MAX_SIDE, MAX_SIDE))
    try:
        source.load()
    except _DECODE_ERRORS as exc:
        raise CorruptPhoto() from exc


def _shrink_upright(source: ImageFile.ImageFile) -> tuple[Image.Image, bool]:
    """Shrink within MAX_SIDE, then apply EXIF orientation; tell whether it turned a quarter."""
    image = _resizable(source)
    # Shrinking first leaves the rotation a fraction of the pixels to copy.
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    shrunk = image.size
    # A broken EXIF block leaves the picture as the camera stored it.
    with contextlib.suppress(*EXIF_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)
    return image, image.size != shrunk


def _resizable(image: Image.Image) -> Image.Image:
    """Bring 16-bit, palette, bilevel and colour-keyed images to modes that resize smoothly."""
    if image.mode in _SIXTEEN_BIT_MODES:
        image = _grey_to_eight_bit(image)
    if image.mode in _RESIZABLE_MODES:
        return image.convert("RGBA") if "transparency" in image.info else image
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _kept_metadata(image: Image.Image) -> dict[str, bytes]:
    """Return the EXIF (orientation already applied) and XMP to write back, if they fit."""
    try:
        exif = image.getexif().tobytes()
    except EXIF_ERRORS:
        exif = b""
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode()
    kept = {"exif": exif, "xmp": xmp}
    return {key: value for key, value in kept.items() if 0 < len(value) <= _MAX_MARKER_PAYLOAD}


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return an 8-bit sRGB image, with any transparency flattened on white."""
    if image.has_transparency_data:
        image = _flatten_on_white(image)
    icc_profile = image.info.get("icc_profile")
    if icc_profile:
        image = _convert_profile(image, icc_profile)
    return image if image.mode == "RGB" else image.convert("RGB")


def _grey_to_eight_bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit grey to 8 bits; a tRNS grey key becomes an alpha channel first."""
    wide = image.convert("I")
    grey = wide.point(lambda value: value / 256).convert("L")
    key = grey.info.pop("transparency", None)
    if isinstance(key, int):
        # The key names one exact 16-bit value, so compare before scaling.
        opaque = ImageMath.lambda_eval(lambda args: args["v"] != key, v=wide)
        grey.putalpha(opaque.point(lambda value: value * 255).convert("L"))
    return grey


def _flatten_on_white(image: Image.Image) -> Image.Image:
    """Composite a transparent image on a white background."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    if "icc_profile" in image.info:
        background.info["icc_profile"] = image.info["icc_profile"]
    return background


def _convert_profile(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert from the embedded colour profile to sRGB; an unusable profile is ignored."""
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        if ImageCms.getProfileDescription(profile).startswith("sRGB"):
            return image
        return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
    except _ICC_ERRORS:
        return image


def _encode_jpeg(image: Image.Image, **metadata: bytes) -> bytes:
    """Encode as a progressive JPEG, writing only the metadata passed in."""
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, progressive=True, **metadata)
    return buffer.getvalue()
