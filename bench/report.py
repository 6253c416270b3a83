"""Writing a benchmark's Markdown section into a results file, leaving the others alone."""

from __future__ import annotations

import platform
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
    """One line naming the machine the figures come from."""
    import os

    return f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
