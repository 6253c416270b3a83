"""The shared barcode sample photos and the single-engine baselines the pipeline is held to.

The baselines are one plain call per engine on the image as Pillow opens it (zxing-cpp with
its default options and the raw text mode, pyzbar with its defaults), so "the union" means
what a caller would get by simply running both engines once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from PIL import Image
from pyzbar import pyzbar

IMAGE_SUFFIXES = (".webp", ".png", ".jpg")
ENV_VAR = "GENDAN_BARCODE_SAMPLES"


@dataclass(frozen=True)
class Sample:
    """One sample photo and the exact text it encodes."""

    fmt: str
    path: Path
    expected: str

    def data(self) -> bytes:
        """The photo's bytes."""
        return self.path.read_bytes()


def samples_root() -> Path:
    """shared/samples/barcodes: from the environment, else beside an ancestor of this repo."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "samples" / "barcodes"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shared/samples/barcodes not found; set {ENV_VAR}")


def iter_samples(root: Path | None = None) -> Iterator[Sample]:
    """Every sample, sorted by format folder then file name."""
    root = root or samples_root()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                expected = path.with_suffix(".txt").read_text(encoding="utf-8")
                yield Sample(folder.name, path, expected)


def zxing_texts(sample: Sample) -> list[str]:
    """zxing-cpp alone: one call, default options, raw text."""
    with Image.open(sample.path) as image:
        found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    return [b.text for b in found]


def zbar_texts(sample: Sample) -> list[str]:
    """pyzbar alone: one call, default options, bytes read as UTF-8."""
    with Image.open(sample.path) as image:
        found = pyzbar.decode(image)
    return [r.data.decode("utf-8", "replace") for r in found]


Reader = Callable[[Sample], list[str]]


def read_table(samples: list[Sample], readers: dict[str, Reader]) -> dict[str, dict[str, int]]:
    """Per format, how many samples each reader got right, and "union": zxing or pyzbar right."""
    table: dict[str, dict[str, int]] = {}
    for sample in samples:
        row = table.setdefault(sample.fmt, {"total": 0, "union": 0, **dict.fromkeys(readers, 0)})
        hits = {name: sample.expected in read(sample) for name, read in readers.items()}
        row["total"] += 1
        row["union"] += hits.get("zxing", False) or hits.get("pyzbar", False)
        for name, hit in hits.items():
            row[name] += hit
    return table
