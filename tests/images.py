"""Real image bytes for tests, made with Pillow."""

from __future__ import annotations

import io
import random

from PIL import Image


def jpeg(width=640, height=480, seed=1) -> bytes:
    """A noisy JPEG (noise so that different seeds give different content hashes)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), 120, 60))
    for _ in range(200):
        x, y = rng.randrange(width), rng.randrange(height)
        image.putpixel((x, y), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(width=64, height=64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 255, 128)).save(out, "PNG")
    return out.getvalue()


def pixel_bomb_png(side=100_000) -> bytes:
    """A PNG whose header claims side x side pixels, with almost no data behind it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )
