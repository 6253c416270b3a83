"""Benchmark scanning.decode: reads per sample format, and decode time per photo size.

Run: `python -m bench.bench_decode [--out FILE] [--repeat N]`. Prints a Markdown section;
with --out the section also replaces its earlier copy in FILE (or is appended to it).

Reads: zxing-cpp alone, pyzbar alone, their union and the pipeline on every sample photo.
Time: synthetic frames (noise plus one pasted sample code, fixed seed) encoded as JPEG, as a
phone uploads them. The pipeline is timed from bytes; so is the ceiling, one plain
`zxingcpp.read_barcodes` call on the same frame after Pillow decodes it, which is the least
any decoder on these bytes has to pay.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import zxingcpp
from PIL import Image

from bench.frames import jpeg_bytes, noisy_frame, paste_code
from bench.samples import iter_samples, read_table, samples_root, zbar_texts, zxing_texts
from scanning.decode import decode

HEADING = "## Barcode decoding (bench/bench_decode.py)"
SIZES = ((640, 480), (1600, 1200), (4000, 3000))
QR = ("qrcode/qrcode-2__34.png", "http://www.google.com/")
EAN = ("ean13/ean13-1__10.webp", "8480010001136")
SEED = 20240501


@dataclass(frozen=True)
class Case:
    """One synthetic photo: frame size, which code, how large, and the text it holds."""

    size: tuple[int, int]
    label: str
    sample: str | None
    side: int
    expected: str | None

    def photo(self, root: Path) -> bytes:
        """The JPEG bytes, the code (if any) pasted at a seeded random spot."""
        width, height = self.size
        rng = random.Random(f"{SEED}-{self.size}-{self.label}")
        frame = noisy_frame(width, height, seed=rng.randrange(1 << 30))
        if self.sample is None:
            return jpeg_bytes(frame)
        with Image.open(root / self.sample) as code:
            fitted = max(1, round(code.height * self.side / code.width))
            at = (rng.randrange(width - self.side + 1), rng.randrange(height - fitted + 1))
            paste_code(frame, code, at=at, side=self.side)
        return jpeg_bytes(frame)


def cases() -> list[Case]:
    """Small codes keep their pixel size at every resolution; large ones fill the frame.

    The photo without a code is the worst case: every fallback pass runs.
    """
    out = []
    for width, height in SIZES:
        out += [
            Case((width, height), "no code", None, 0, None),
            Case((width, height), "small QR", QR[0], 80, QR[1]),
            Case((width, height), "small EAN-13", EAN[0], 330, EAN[1]),
            Case((width, height), "large QR", QR[0], height * 3 // 5, QR[1]),
            Case((width, height), "large EAN-13", EAN[0], width * 7 // 10, EAN[1]),
        ]
    return out


def ceiling(data: bytes) -> list[str]:
    """One raw zxing-cpp call with its defaults, after Pillow decodes the bytes."""
    with Image.open(io.BytesIO(data)) as image:
        return [b.text for b in zxingcpp.read_barcodes(image)]


def pipeline(data: bytes) -> list[str]:
    """scanning.decode from bytes."""
    return [code.text for code in decode(data)]


def median_seconds(fn: Callable[[bytes], list[str]], data: bytes, repeat: int) -> float:
    """Median wall time of `repeat` calls, after one warm-up call."""
    fn(data)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reads_section(root: Path) -> list[str]:
    """The per-format read table."""
    readers = {
        "zxing": zxing_texts,
        "pyzbar": zbar_texts,
        "pipeline": lambda s: pipeline(s.data()),
    }
    table = read_table(list(iter_samples(root)), readers)
    lines = [
        "| format | photos | zxing-cpp | pyzbar | union | pipeline | pipeline/union |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = {key: sum(row[key] for row in table.values()) for key in next(iter(table.values()))}
    for fmt, row in [*table.items(), ("**all**", totals)]:
        ratio = row["pipeline"] / row["union"] if row["union"] else float("nan")
        lines.append(
            f"| {fmt} | {row['total']} | {row['zxing']} | {row['pyzbar']} | {row['union']} "
            f"| {row['pipeline']} | {ratio:.2f} |"
        )
    return lines


def timing_section(root: Path, repeat: int) -> list[str]:
    """The per-photo-size timing table."""
    lines = [
        "| frame | code (px) | pipeline reads | pipeline ms | ceiling reads | ceiling ms "
        "| pipeline/ceiling |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    for case in cases():
        data = case.photo(root)
        ours = median_seconds(pipeline, data, repeat)
        raw = median_seconds(ceiling, data, repeat)
        lines.append(
            f"| {case.size[0]}x{case.size[1]} | {case.label} ({case.side}) "
            f"| {_reads(case, pipeline(data))} | {ours * 1000:.0f} "
            f"| {_reads(case, ceiling(data))} | {raw * 1000:.0f} | {ours / raw:.2f} |"
        )
    return lines


def _reads(case: Case, texts: list[str]) -> str:
    """Whether the expected text was read, or for a photo without a code, nothing was."""
    if case.expected is None:
        return "none (right)" if not texts else f"**{len(texts)} false**"
    return "yes" if case.expected in texts else "**no**"


def section(repeat: int) -> str:
    """The whole Markdown section."""
    root = samples_root()
    env = (
        f"Python {platform.python_version()}, zxing-cpp {version('zxing-cpp')}, "
        f"pyzbar {version('pyzbar')}, Pillow {version('pillow')}, {os.cpu_count()} CPUs; "
        f"times are medians of {repeat} runs after a warm-up, one thread."
    )
    parts = [
        HEADING,
        "",
        env,
        "",
        f"### Reads per format (shared/samples/{root.name}; a read is an exact text match)",
        "",
        *reads_section(root),
        "",
        "### Decode time per photo (JPEG bytes in, codes out)",
        "",
        "The ceiling is one plain `zxingcpp.read_barcodes` call on the Pillow-decoded frame.",
        "",
        *timing_section(root, repeat),
    ]
    return "\n".join(parts) + "\n"


def write_section(path: Path, text: str) -> None:
    """Replace this benchmark's section in `path`, or append it; other sections stay."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find(HEADING)
    if start < 0:
        path.write_text(old + ("\n" if old and not old.endswith("\n\n") else "") + text)
        return
    end = old.find("\n## ", start + len(HEADING))
    rest = old[end + 1 :] if end >= 0 else ""
    path.write_text(old[:start] + text + ("\n" + rest if rest else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per photo")
    args = parser.parse_args(argv)
    text = section(args.repeat)
    print(text, end="")
    if args.out:
        write_section(args.out, text)


if __name__ == "__main__":
    main()
