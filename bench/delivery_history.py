"""A synthetic delivery history for the delay prediction backtest (bench_prediction.py).

Suppliers differ in how often they are early, on time or late, and by how much; their true
delay distributions are kept so the backtest can score the oracle that knows them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

DAY0 = date(2024, 1, 1)
DAYS = 730
MAX_DELAY = 150


@dataclass(frozen=True)
class Supplier:
    id: int
    pmf: dict[int, float]  # the true delay distribution
    cdf: list[tuple[int, float]]

    def sample(self, rng: random.Random) -> int:
        u = rng.random()
        for delay, cumulative in self.cdf:
            if u <= cumulative:
                return delay
        return self.cdf[-1][0]

    def survival(self, x: int) -> float:
        return sum(p for d, p in self.pmf.items() if d >= x)


def make_supplier(sid: int, rng: random.Random) -> Supplier:
    """Early now and then, on time with a supplier-specific probability, otherwise late by a
    geometric number of days with a supplier-specific mean."""
    early = rng.uniform(0.02, 0.10)
    on_time = min(0.97 - early, rng.betavariate(2.5, 1.2))
    late = 1.0 - early - on_time
    mean_late = math.exp(rng.gauss(math.log(4.0), 0.9))
    p = 1.0 / mean_late
    pmf = {d: early / 3 for d in (-3, -2, -1)}
    pmf[0] = on_time
    for d in range(1, MAX_DELAY + 1):
        pmf[d] = late * p * (1 - p) ** (d - 1)
    total = sum(pmf.values())
    pmf = {d: v / total for d, v in pmf.items()}
    cdf, running = [], 0.0
    for d in sorted(pmf):
        running += pmf[d]
        cdf.append((d, running))
    return Supplier(sid, pmf, cdf)


@dataclass(frozen=True)
class Line:
    """One purchase line: what was promised and needed, when it came, when it was forecast."""

    supplier: Supplier
    promised: date
    need: date
    actual: date
    forecast: date

    @property
    def late(self) -> bool:
        return self.actual > self.need


def make_history(rng: random.Random, n_suppliers: int = 80) -> list[Line]:
    """Deliveries over DAYS days: heavy-tailed activity (a few busy suppliers, many rare ones),
    need dates around the promise, forecasts up to two weeks ahead or a few days overdue."""
    lines = []
    for sid in range(1, n_suppliers + 1):
        supplier = make_supplier(sid, rng)
        count = min(400, max(1, int(3 * rng.paretovariate(0.7))))
        for _ in range(count):
            promised = DAY0 + timedelta(days=rng.randrange(DAYS))
            slack = rng.choice([-2, -1, 0, 0, 1, 2, 3, 3, 5, 7, 10, 14])
            actual = promised + timedelta(days=supplier.sample(rng))
            lead = rng.randint(-5, 14)  # negative: forecast when the line is already overdue
            forecast = promised - timedelta(days=lead)
            if actual < forecast:
                continue  # already received on the forecast day: nothing to predict
            need = promised + timedelta(days=slack)
            lines.append(Line(supplier, promised, need, actual, forecast))
    return lines
