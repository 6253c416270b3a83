"""Writing a benchmark's Markdown section into a results file, leaving the others alone."""

from __future__ import annotations

import functools
import platform
import time
from pathlib import Path


def write_section(path: Path, heading: str, text: str) -> None:
    """Replace the section starting with `heading` in `path`, or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find(heading)
    if start < 0:
        gap = "\n" if old and not old.endswith("\n\n") else ""
        path.write_text(old + gap + text, encoding="utf-8")
        return
    end = old.find("\n## ", start + len(heading))
    rest = old[end + 1 :] if end >= 0 else ""
    path.write_text(old[:start] + text + ("\n" + rest if rest else ""), encoding="utf-8")


def machine() -> str:
    """One line naming the machine the figures come from, with its speed at the moment."""
    import os

    return (
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{speed():.0f} ms for the reference loop"
    )


@functools.cache
def speed() -> float:
    """Milliseconds one core takes for a fixed pure-Python loop (best of 5), measured once per
    run: the machines of this workplace have run the same code at speeds a factor of 2 apart
    (wrk's /healthz 1,830 and 3,330 requests a second on 2026-12-06), so a section's figures
    are read against this one. Lower is faster."""
    best = None
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i * i % 7
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return best * 1000


REFERENCE_LOOP = 1_000_000


def run_sized(
    doc: str, heading: str, section, *, lines: int, argv: list[str] | None = None
) -> None:
    """The command line of a bench sized by `--lines` and `--repeat`: print its section and,
    with `--out`, write it into that file."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--lines", type=int, default=lines, help="BOM lines")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs")
    args = parser.parse_args(argv)
    text = section(args.lines, args.repeat)
    print(text, end="")
    if args.out:
        write_section(args.out, heading, text)
