"""A Python load client (threads with requests.Session) for the benchmarks that post bodies
too large or too stateful for wrk: 500-scan batches, webhooks with a live simulator. The HTTP
ceilings themselves come from wrk (bench/bench_http.py)."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

SEED = 20261125


@dataclass(frozen=True)
class Rate:
    name: str
    requests_per_s: float
    units_per_s: float
    p50_ms: float
    p99_ms: float
    units: int


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(name: str, call: Callable, seconds: float, clients: int) -> Rate:
    """Run `call(http, rng)` (returns units done) from `clients` threads for `seconds`."""
    latencies: list[float] = []
    units = [0] * clients
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def client(index: int) -> None:
        rng = random.Random(f"{SEED}-{name}-{index}")
        with requests.Session() as http:
            barrier.wait()
            try:
                while time.monotonic() < deadline[0]:
                    start = time.perf_counter()
                    units[index] += call(http, rng)
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return Rate(
        name,
        len(latencies) / elapsed,
        sum(units) / elapsed,
        quantile(latencies, 50) * 1000,
        quantile(latencies, 99) * 1000,
        sum(units),
    )
