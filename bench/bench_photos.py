"""Photo pipeline benchmark: `python -m bench.bench_photos [--out FILE] [--runs N]`.

Times `process_photo` on phone-like photos made from a fixed seed and compares it with a
ceiling measured in the same run: bare Pillow doing the least the same job needs (decode,
shrink to the same size, save a progressive JPEG). Peak memory is the growth of the peak
resident set size in a fresh process, since Pillow's pixel buffers are invisible to tracemalloc.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import PIL
from PIL import ExifTags, Image, ImageDraw

from scanning.photos import JPEG_QUALITY, MAX_SIDE, process_photo

SEED = 20240501


@dataclass(frozen=True)
class Sample:
    """One benchmark input."""

    label: str
    data: bytes


@dataclass(frozen=True)
class Row:
    """Figures for one sample."""

    sample: Sample
    output: str
    pipeline_ms: float
    ceiling_ms: float
    pipeline_peak_mb: float
    ceiling_peak_mb: float


def textured(size: tuple[int, int], rng: random.Random, *, grain: int) -> Image.Image:
    """A photo-like picture: smooth random colour fields, shapes and fine noise."""
    tile = (size[0] // grain, size[1] // grain)
    image = Image.frombytes("RGB", tile, rng.randbytes(tile[0] * tile[1] * 3))
    image = image.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(50, 600), y + rng.randrange(20, 300)), fill=colour)
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return Image.blend(image, Image.merge("RGB", (noise, noise, noise)), 0.08)


def phone_exif() -> Image.Exif:
    """EXIF as a phone in portrait writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Xiaomi"
    exif[ExifTags.Base.Model] = "23127PN0CC"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "2024:05:01 14:30:00"}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31, 13, 49.44),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121, 28, 25.32),
    }
    return exif


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    """Save an image to bytes."""
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make_samples() -> list[Sample]:
    """The three inputs, identical on every run."""
    rng = random.Random(SEED)
    jpeg = textured((4000, 3000), rng, grain=8)
    png = textured((2304, 1728), rng, grain=24)
    webp = textured((1632, 1224), rng, grain=8)
    return [
        Sample(
            "12 MP JPEG, phone (4000×3000, EXIF orientation 6, GPS)",
            encode(jpeg, "JPEG", quality=92, exif=phone_exif()),
        ),
        Sample("4 MP PNG (2304×1728)", encode(png, "PNG")),
        Sample("2 MP WebP (1632×1224)", encode(webp, "WEBP", quality=80)),
    ]


def bare_pillow(data: bytes) -> bytes:
    """The ceiling: decode, shrink and save as the pipeline does, with nothing else."""
    image = Image.open(BytesIO(data))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return encode(image.convert("RGB"), "JPEG", quality=JPEG_QUALITY, progressive=True)


def median_ms(job: Callable[[bytes], object], data: bytes, runs: int) -> float:
    """Median wall time of `runs` calls, after one warm-up call."""
    job(data)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _peak_rss_kib() -> int:
    """Peak resident set size of this process's current image, in KiB."""
    # ru_maxrss survives exec, so a spawned child would inherit the parent's peak; VmHWM does not.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_growth_mb(job_name: str, data: bytes) -> float:
    """Run one job once in this fresh process; return its peak RSS growth in MB."""
    job = {"pipeline": process_photo, "ceiling": bare_pillow}[job_name]
    before = _peak_rss_kib()
    job(data)
    return (_peak_rss_kib() - before) / 1024


def peak_mb(job_name: str, data: bytes) -> float:
    """Peak memory of one job, measured in a fresh interpreter so earlier runs do not count."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_peak_growth_mb, (job_name, data))


def measure(sample: Sample, runs: int) -> Row:
    """All figures for one sample."""
    photo = process_photo(sample.data)
    output = (
        f"{photo.width}×{photo.height}, {_size(len(photo.image))} + thumb {_size(len(photo.thumb))}"
    )
    return Row(
        sample=sample,
        output=output,
        pipeline_ms=median_ms(process_photo, sample.data, runs),
        ceiling_ms=median_ms(bare_pillow, sample.data, runs),
        pipeline_peak_mb=peak_mb("pipeline", sample.data),
        ceiling_peak_mb=peak_mb("ceiling", sample.data),
    )


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} KB"


def render(rows: list[Row], runs: int) -> str:
    """The Markdown section."""
    lines = [
        "## Photo pipeline (`python -m bench.bench_photos`)",
        "",
        f"Seed {SEED}, Pillow {PIL.__version__}, Python {platform.python_version()}, "
        f"median of {runs} runs after a warm-up. Ceiling: bare Pillow decode, shrink to "
        f"{MAX_SIDE} px and save a progressive JPEG q{JPEG_QUALITY}. Peak: growth of peak RSS "
        "in a fresh process for one call.",
        "",
        "| input | size | output | pipeline | ceiling | ratio | peak pipeline | peak ceiling |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.sample.label} | {_size(len(row.sample.data))} | {row.output} "
            f"| {row.pipeline_ms:.0f} ms | {row.ceiling_ms:.0f} ms "
            f"| {row.pipeline_ms / row.ceiling_ms:.2f}× "
            f"| {row.pipeline_peak_mb:.0f} MB | {row.ceiling_peak_mb:.0f} MB |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark, print the Markdown, and write it to --out when given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per input (default 5)")
    args = parser.parse_args()
    rows = [measure(sample, args.runs) for sample in make_samples()]
    report = render(rows, args.runs)
    print(report, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
