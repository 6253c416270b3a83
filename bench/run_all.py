"""`make bench`: run every benchmark with fixed seeds and sizes, write bench/RESULTS.md.

Each benchmark runs in a process of its own (`python -m bench.bench_<name> ...`) and prints
its Markdown section; this runner adds the machine, the date and the sizes on top and writes
the file. The benchmarks start what they need on 127.0.0.1 (gunicorn with 2 workers, the
scheduler, the chat simulator) against PostgreSQL at BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test), each in a schema of its own that is dropped after.

`--quick` (`make bench-quick`, under three minutes) runs only the benchmarks marked `quick`
(the wrk ceilings and memory: short runs at one connection count) and writes
bench/RESULTS-quick.md, so that the full results in bench/RESULTS.md are never replaced by a
quick run's. `--only http,webhooks` runs some of them and replaces their sections in the
results file, leaving the others and the header as they were (a file that does not exist yet
gets the header and those sections).
wrk comes from Debian (`make bench-system-deps`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.benchdb import PG_URL, ROOT, bench_database, postgres_available
from bench.report import speed, write_section
from models import clock

RESULTS = ROOT / "bench" / "RESULTS.md"
QUICK_RESULTS = ROOT / "bench" / "RESULTS-quick.md"


@dataclass(frozen=True)
class Bench:
    name: str  # bench/bench_<name>.py
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    postgres_url_arg: bool = False  # run again with --database <a fresh PostgreSQL schema>
    in_quick: bool = False  # part of `make bench-quick`


BENCHES = [
    Bench(
        "http",
        ["--seconds", "10", "--connections", "1,4,16"],
        ["--seconds", "2", "--connections", "4"],
        in_quick=True,
    ),
    Bench("instructions", ["--requests", "200"]),
    Bench("webhooks", ["--seconds", "10", "--clients", "4"], ["--seconds", "3", "--clients", "4"]),
    Bench("scans", ["--seconds", "5"], ["--seconds", "2"]),
    Bench("shortages", [], ["--lines", "20000", "--repeat", "3"]),
    Bench("sweep"),  # the rule sweep (branch rules); joins when bench/bench_sweep.py exists
    Bench("production", [], ["--runs", "3"], postgres_url_arg=True),
    Bench("bots", [], ["--messages", "100"], postgres_url_arg=True),
    Bench("decode", [], ["--repeat", "2"]),
    Bench("photos", [], ["--runs", "2"]),
    Bench("image_memory", [], ["--clients", "6"]),
    Bench("prediction", [], ["--replicates", "5"]),
    Bench("overview", [], ["--lines", "10000", "--repeat", "2"]),
    Bench("costs", [], ["--lines", "10000", "--repeat", "2"]),
    Bench("order_import", [], ["--rows", "100"]),
]


def available(bench: Bench) -> bool:
    return importlib.util.find_spec(f"bench.bench_{bench.name}") is not None


def machine() -> list[str]:
    """CPU model, cores, RAM, Python, PostgreSQL, kernel, load."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ram = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            ram = int(line.split()[1]) / 1024 / 1024
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; RAM {ram:.1f} GiB",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}",
        f"- PostgreSQL: {postgres_version()}",
        f"- Load average when the run started: {load} (the machine may be shared: absolute "
        "figures move with it, the ratios to the ceilings much less)",
        f"- Speed when the run started: {speed():.0f} ms for the reference loop of "
        "bench/report.py (one core, lower is faster: 76-85 ms on the slow machine of 2026-12-06 "
        "11:25 UTC, whose wrk /healthz was about half the earlier machines')",
    ]


def postgres_version() -> str:
    from sqlalchemy import create_engine, text

    from app.db import normalise_url

    try:
        engine = create_engine(normalise_url(PG_URL))
        try:
            with engine.connect() as conn:
                return conn.execute(text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    except Exception as exc:
        return f"not reachable ({type(exc).__name__})"


@contextmanager
def postgres_url(name: str) -> Iterator[str]:
    with bench_database("postgresql", name) as db:
        yield db.url


def run_one(module: str, args: list[str], env: dict) -> tuple[str, bool, float]:
    """Run one benchmark; its section, whether it succeeded, and how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    elapsed = time.monotonic() - started
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.rstrip() + "\n", True, elapsed
    tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
    text = "\n".join([f"## {module} FAILED (exit {done.returncode})", "", "```", *tail, "```", ""])
    return text, False, elapsed


def demote(text: str, suffix: str) -> str:
    """A section again on another engine: one heading level down, the engine in the title."""
    out = []
    for i, line in enumerate(text.splitlines()):
        if line.startswith("#"):
            line = "#" + line
            if i == 0:
                line += f" — {suffix}"
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="default bench/RESULTS.md (quick: -quick.md)")
    parser.add_argument("--quick", action="store_true", help="the quick benchmarks, reduced")
    parser.add_argument("--only", help="comma-separated names (http,webhooks,scans,...)")
    args = parser.parse_args(argv)
    args.out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    if not postgres_available():
        print(f"PostgreSQL at {PG_URL} is not reachable; start it or set BENCH_DATABASE_URL.")
        return 2
    wanted = set(args.only.split(",")) if args.only else None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if args.quick:
        env["BENCH_QUICK"] = "1"
    started = clock.now()
    header = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run_all.py{' --quick' if args.quick else ''}) on "
        f"{started:%Y-%m-%d %H:%M} UTC. Each section comes from `python -m bench.bench_<name>`; "
        "every figure has its ratio to a ceiling measured in the same run, on the same machine.",
        "",
        *machine(),
        "- Sizes: "
        + (
            "**reduced** (`--quick`: only the benchmarks marked quick, shorter "
            "measurements, one connection count; the arguments are in bench/run_all.py)"
            if args.quick
            else "full (the defaults of each benchmark, see bench/run_all.py)"
        ),
        "",
    ]
    sections, failed, timings = [], [], []
    for bench in BENCHES:
        if (wanted and bench.name not in wanted) or (args.quick and not bench.in_quick):
            continue
        module = f"bench.bench_{bench.name}"
        if not available(bench):
            print(f"{module}: not present, skipped", flush=True)
            continue
        bench_args = bench.quick if args.quick else bench.full
        print(f"{module} {' '.join(bench_args)} ...", flush=True)
        text, ok, elapsed = run_one(module, bench_args, env)
        timings.append(f"{bench.name} {elapsed:.0f} s")
        if not ok:
            failed.append(module)
        if bench.postgres_url_arg:
            with postgres_url(f"bench_{bench.name}_runner") as url:
                again, ok, elapsed = run_one(module, [*bench_args, "--database", url], env)
            # Its subsection follows the section: one text, so that --only replaces both.
            text += "\n" + (demote(again, "PostgreSQL") if ok else again)
            timings.append(f"{bench.name} on PostgreSQL {elapsed:.0f} s")
            if not ok:
                failed.append(f"{module} (PostgreSQL)")
        sections.append(text)
        print(f"  {timings[-1]}", flush=True)
    if wanted and args.out.exists():
        for text in sections:  # the named sections replaced, the rest of the file kept
            write_section(args.out, text.splitlines()[0], text)
    else:
        footer = ["", f"Run time per benchmark: {', '.join(timings)}.", ""]
        args.out.write_text(
            "\n".join(header) + "\n" + "\n".join(sections) + "\n".join(footer), encoding="utf-8"
        )
    print(f"wrote {args.out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
