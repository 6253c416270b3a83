"""Image memory under hostile and heavy uploads: `python -m bench.bench_image_memory [--out FILE]`.

gunicorn (2 workers, gthread balanced by app/worker.py, 4 threads each, as gunicorn.conf.py) on
PostgreSQL (SQLite when PostgreSQL is not reachable) takes, at once from `--clients` threads: real
49 MP RGBA PNGs (refused from the header by the 20 MP cap), then 20 MP RGBA PNGs just under the cap
(decoded, IMAGE_DECODE_SLOTS at a time per worker), then 12 MP phone JPEGs; each upload differs in
a few trailing bytes, so each is a new photo. Every process's peak resident set size (VmHWM, reset
through /proc/<pid>/clear_refs before each phase) is reported per phase, with its size when idle
before and after; the budget is 600 MiB for each process (issue 16 item 3: before the cap, one 49
MP PNG took a worker to 982 MB)."""

from __future__ import annotations

import argparse
import io
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from PIL import Image, ImageDraw
from sqlmodel import select

from app.demo import load_demo
from app.services.core import Actor, bind_actor, configure
from app.services.people import issue_token
from bench.benchdb import bench_database, postgres_available
from bench.report import write_section
from bench.servers import SECRET, gunicorn, memory_kib
from models.enums import Channel
from models.orders import Order
from models.people import User

HEADING = "## Image memory (49 MP PNG uploads against gunicorn)"
BUDGET_MIB = 600
ORDER = "GD-DEMO-03"


@dataclass(frozen=True)
class Phase:
    name: str
    data: bytes
    file_name: str


def _picture(size: tuple[int, int], mode: str, fmt: str) -> bytes:
    """A real, fully decodable picture: shapes on a gradient band, small once compressed."""
    image = Image.new(mode, size, (235, 235, 230, 255) if mode == "RGBA" else (235, 235, 230))
    draw = ImageDraw.Draw(image)
    w, h = size
    for i in range(0, w, max(1, w // 40)):
        draw.rectangle((i, h // 3, i + w // 80, 2 * h // 3), fill=(i * 255 // w, 90, 160))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {"compress_level": 6}))
    return out.getvalue()


def phases() -> list[Phase]:
    return [
        Phase(
            "49 MP RGBA PNG (7000x7000, refused)", _picture((7000, 7000), "RGBA", "PNG"), "a.png"
        ),
        Phase(
            "20 MP RGBA PNG (5000x3999, decoded)", _picture((5000, 3999), "RGBA", "PNG"), "b.png"
        ),
        Phase("12 MP phone JPEG (4000x3000)", _picture((4000, 3000), "RGB", "JPEG"), "c.jpg"),
    ]


def seed(db) -> tuple[int, dict]:
    configure(secret_key=SECRET)
    with db.session() as s:
        bind_actor(s, Actor.system(Channel.cli))
        load_demo(session=s)
        s.commit()
        order = s.exec(select(Order).where(Order.code == ORDER)).one()
        user = s.exec(select(User).where(User.username == "li.gendan")).one()
        token, _ = issue_token(user=user, secret=SECRET, ttl_hours=24)
        return order.id, {"Authorization": f"Bearer {token}"}


class Sampler:
    """Peak RSS of the given processes, read from /proc every 20 ms (VmHWM keeps the true peak
    between readings)."""

    def __init__(self, pids: list[int]):
        self.pids, self.stop = pids, threading.Event()
        self.peak = dict.fromkeys(pids, 0)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], memory_kib(pid)[1])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def upload(base: str, order_id: int, headers: dict, phase: Phase, n: int) -> int:
    files = {"file": (phase.file_name, phase.data + f"bench-{n}".encode())}
    r = requests.post(
        f"{base}/api/orders/{order_id}/photos", headers=headers, files=files, timeout=300
    )
    return r.status_code


def section(clients: int) -> str:
    engine = "postgresql" if postgres_available() else "sqlite"
    inputs = phases()
    lines = [
        HEADING,
        "",
        f"gunicorn 2 workers x 4 threads on {engine}; {clients} uploads at once per phase; "
        f"peak RSS per process (master, worker, worker) in MiB; budget {BUDGET_MIB} MiB.",
        "",
        "| phase | file | answers | peak RSS MiB | within budget |",
        "|---|---:|---|---|---|",
    ]
    with bench_database(engine, "image_memory") as db:
        order_id, headers = seed(db)
        with gunicorn(db.url) as web:
            pids = [web.process.pid, *web.workers()]
            idle = [memory_kib(pid)[0] / 1024 for pid in pids]
            with ThreadPoolExecutor(clients) as pool:
                for phase in inputs:
                    for pid in pids:
                        reset_peak(pid)
                    sent = [(web.base, order_id, headers, phase, n) for n in range(clients)]
                    with Sampler(pids) as sampler:
                        codes = Counter(pool.map(lambda args: upload(*args), sent))
                    answers = ", ".join(f"{n} x {code}" for code, n in sorted(codes.items()))
                    peaks = [sampler.peak[pid] / 1024 for pid in pids]
                    within = "yes" if max(peaks) < BUDGET_MIB else "NO"
                    lines.append(
                        f"| {phase.name} | {len(phase.data) / 1024:,.0f} KiB | {answers} "
                        f"| {' / '.join(f'{p:,.0f}' for p in peaks)} | {within} |"
                    )
            time.sleep(2)  # let the workers settle after the last response
            after = [memory_kib(pid)[0] / 1024 for pid in pids]
    lines += [
        "",
        f"RSS when idle before: {' / '.join(f'{x:,.0f}' for x in idle)} MiB; "
        f"after: {' / '.join(f'{x:,.0f}' for x in after)} MiB.",
    ]
    return "\n".join(lines) + "\n"


def reset_peak(pid: int) -> None:
    """Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--clients", type=int, default=12, help="uploads at once per phase")
    args = parser.parse_args(argv)
    text = section(args.clients)
    print(text, end="")
    if args.out:
        write_section(args.out, HEADING, text)


if __name__ == "__main__":
    main()
