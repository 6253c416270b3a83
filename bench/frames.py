"""Synthetic phone-photo frames: a noisy background with sample codes pasted at chosen spots.

Deterministic for a given seed, so tests and benchmarks see the same pixels on every run.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageFilter

# Background blobs this many pixels across, like out-of-focus clutter behind a label.
BLOB = 8


def noisy_frame(width: int, height: int, *, seed: int = 7) -> Image.Image:
    """An RGB frame of blurred random colour blobs."""
    rng = random.Random(seed)
    small = (max(1, width // BLOB), max(1, height // BLOB))
    noise = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    return noise.resize((width, height), Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(1)
    )


def paste_code(frame: Image.Image, code: Image.Image, *, at: tuple[int, int], side: int) -> None:
    """Paste a code image, scaled so its long side is `side` px, with its top left at `at`."""
    factor = side / max(code.size)
    size = (max(1, round(code.width * factor)), max(1, round(code.height * factor)))
    frame.paste(code.convert("RGB").resize(size, Image.Resampling.BICUBIC), at)


def jpeg_bytes(image: Image.Image, *, quality: int = 90) -> bytes:
    """The image as JPEG bytes, as a phone would upload it."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
