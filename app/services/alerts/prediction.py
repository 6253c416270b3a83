"""Predicted supplier delay: the probability that an open purchase line arrives after its need
date, from each supplier's delivery history. Pure: no database, no clock; dates come in.

The model
---------
A delivery's delay is D = actual arrival - promised date, in whole days (negative: early).
Each supplier s has an unknown delay distribution F_s. With no knowledge of s, the best guess
is the pooled distribution G of every supplier's delays (the "everybody" distribution). Given
s's own n_s delays, its predictive distribution is

    P_s(D = d) = (c_s(d) + k * G(d)) / (n_s + k)

where c_s(d) counts s's deliveries with delay d. This is the posterior predictive of a
Dirichlet process with base measure G and concentration k, with G estimated from the data
(empirical Bayes): a supplier with few deliveries is shrunk toward everybody, one with many
speaks for itself. Its mean is the shrunk mean n_s/(n_s+k) * mean_s + k/(n_s+k) * mean_all, and
unlike a normal it keeps the real shape: a point mass on time and a long late tail. k is chosen
by the backtest (bench/bench_prediction.py: cross-validation on the training window).

A line still open today cannot arrive before today, so the prediction conditions on that:

    P(late) = P(D > need - promised | D >= today - promised)

which is 1 once the need date has passed.

Trust: minimum history and calibration
--------------------------------------
Conditioning on "still open" keeps only the deliveries that were at least that late, and a
handful of them gives extreme answers (a supplier that always delivers five days early, two
days before its promise, left nothing of its own history and got "100 %"). So the deployment's
model (`history.delay_model`) predicts nothing below MIN_HISTORY deliveries in all, lets a
supplier's own record count only from MIN_OWN deliveries, and shrinks the conditional answer
toward everybody's unconditional late share by SMOOTHING pseudo-deliveries:

    p = (m * p_conditional + s * p_everybody) / (m + s),   m = deliveries at least that late

so an answer resting on few comparable deliveries stays moderate. A line later than any
delivery on record (m = 0) is reported late (probability 1): more overdue than anything this
history has seen is the right warning. The backtest chooses s and reports reliability per
decile (bench/bench_prediction.py, bench/RESULTS.md).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# Chosen by the backtest (bench/bench_prediction.py): the k with the lowest mean
# cross-validated Brier score over 20 synthetic histories.
DEFAULT_K = 5.0
# The deployment's trust thresholds (see "Trust" above); SMOOTHING is chosen by the backtest.
MIN_HISTORY = 20
MIN_OWN = 5
SMOOTHING = 3.0


@dataclass(frozen=True)
class Delivery:
    """One received purchase line: who supplied it, what they promised, when it came."""

    supplier_id: int
    promised: date
    actual: date

    @property
    def delay(self) -> int:
        return (self.actual - self.promised).days


class _Delays:
    """A sorted multiset of delays that answers 'how many are >= x'."""

    def __init__(self, delays: Iterable[int]):
        self.sorted = sorted(delays)

    def __len__(self) -> int:
        return len(self.sorted)

    def at_least(self, x: int) -> int:
        return len(self.sorted) - bisect_left(self.sorted, x)

    def mean(self) -> float:
        return sum(self.sorted) / len(self.sorted)


class DelayModel:
    """Per-supplier delay distributions shrunk toward everybody's, fitted once, asked often."""

    def __init__(
        self,
        history: Iterable[Delivery],
        k: float = DEFAULT_K,
        *,
        min_history: int = 1,
        min_own: int = 1,
        smoothing: float = 0.0,
    ):
        if k < 0 or math.isnan(k) or smoothing < 0:
            raise ValueError("k and smoothing must be >= 0 (k = math.inf: everybody's only)")
        self.min_history, self.min_own, self.smoothing = max(1, min_history), min_own, smoothing
        by_supplier: dict[int, list[int]] = defaultdict(list)
        for delivery in history:
            by_supplier[delivery.supplier_id].append(delivery.delay)
        self.k = k
        self.pooled = _Delays(d for delays in by_supplier.values() for d in delays)
        self.suppliers = {s: _Delays(delays) for s, delays in by_supplier.items()}

    def deliveries(self, supplier_id: int) -> int:
        """How many deliveries of this supplier the model has seen."""
        own = self.suppliers.get(supplier_id)
        return len(own) if own else 0

    def _own_weight(self, supplier_id: int) -> float:
        n = self.deliveries(supplier_id)
        if n == 0 or n < self.min_own or math.isinf(self.k):
            return 0.0
        return n / (n + self.k)

    def survival(self, supplier_id: int, x: int) -> float:
        """P(D >= x) for this supplier's next delivery."""
        pooled = self.pooled.at_least(x) / len(self.pooled)
        w = self._own_weight(supplier_id)
        if w == 0.0:
            return pooled
        own = self.suppliers[supplier_id]
        return w * own.at_least(x) / len(own) + (1 - w) * pooled

    def enough(self) -> bool:
        """Whether there is enough history to predict at all."""
        return len(self.pooled) >= self.min_history

    def uses_own(self, supplier_id: int) -> bool:
        """Whether the supplier's own record counts in its prediction."""
        return self._own_weight(supplier_id) > 0.0

    def expected_delay(self, supplier_id: int) -> float | None:
        """The mean of this supplier's predictive delay, in days (None without history)."""
        if not len(self.pooled):
            return None
        w = self._own_weight(supplier_id)
        pooled = self.pooled.mean()
        return pooled if w == 0.0 else w * self.suppliers[supplier_id].mean() + (1 - w) * pooled

    def probability_late(
        self, supplier_id: int, promised_date: date, need_date: date, today: date
    ) -> float | None:
        """P(arrival > need date | not arrived before today), shrunk as described above; None
        below the minimum history."""
        if not self.enough():
            return None
        allowed = (need_date - promised_date).days  # the largest delay that is still in time
        elapsed = (today - promised_date).days  # the line cannot arrive before today
        if allowed < elapsed:
            return 1.0
        still_open = self.survival(supplier_id, elapsed)
        everybody = self.pooled.at_least(allowed + 1) / len(self.pooled)
        comparable = self.pooled.at_least(elapsed)
        if comparable == 0:
            return 1.0  # later than anything on record: warn
        if still_open <= 0.0:  # own history only (k = 0) and none of it this late
            return self.pooled.at_least(allowed + 1) / comparable
        raw = min(1.0, self.survival(supplier_id, allowed + 1) / still_open)
        s = self.smoothing
        return (comparable * raw + s * everybody) / (comparable + s)


def probability_late(
    history: Sequence[Delivery] | DelayModel,
    supplier_id: int,
    promised_date: date,
    need_date: date,
    today: date,
) -> float | None:
    """P(the line arrives after need_date) for an open line of `supplier_id` promised for
    `promised_date`, as of `today`. Pass a fitted DelayModel to ask about many lines."""
    model = history if isinstance(history, DelayModel) else DelayModel(history)
    return model.probability_late(supplier_id, promised_date, need_date, today)
