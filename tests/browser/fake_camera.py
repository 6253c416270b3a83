"""A fake camera for Chromium: a Y4M video whose frames show one picture (a label, a barcode).

Chromium plays it through `--use-file-for-fake-video-capture`, so the page's getUserMedia gets
the picture as if the phone's camera were pointed at it.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 640, 480


def write_y4m(picture: bytes, path: Path, frames: int = 2) -> Path:
    """The picture (PNG/JPEG bytes), centred on white at 640x480, as 4:2:0 Y4M frames."""
    image = Image.open(io.BytesIO(picture)).convert("RGB")
    image.thumbnail((WIDTH - 80, HEIGHT - 80))
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path
