"""Delay prediction backtest: `python -m bench.bench_prediction [--out F] [--seed N]`.

A synthetic two-year delivery history from a fixed seed: suppliers that differ in how often
they are late and by how much, a few with hundreds of deliveries and many with a handful.
Each supplier's true delay distribution is known, so the ceiling is measured in the same run:
the oracle that predicts with the true probabilities.

The history is split in time. k is chosen by cross-validation inside the training window
(fit on its first two thirds, score the last third); the predictor fitted on the whole
training window is then scored on open lines whose forecast day falls after the split. The
Brier score (mean squared error of the probability against what happened) is compared with
the naive "average delay of everybody" predictor, as a point forecast and as a distribution;
then the same over `--replicates` histories (20 by default), which is what sets DEFAULT_K.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.services.alerts import DEFAULT_K, DelayModel, Delivery
from app.services.alerts.prediction import MIN_HISTORY, MIN_OWN, SMOOTHING
from bench.delivery_history import DAY0, DAYS, Line, make_history

SEED = 20260302
SPLIT = 540  # training history: deliveries that arrived before this day
CV_SPLIT = 360  # inside the training window: fit before, score after
K_GRID = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0, 50.0, 100.0, math.inf)
S_GRID = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)


def trusted(history: list[Delivery], k: float = DEFAULT_K, s: float = SMOOTHING) -> DelayModel:
    """The model as the deployment runs it: minimum history, own record from MIN_OWN, smoothed."""
    return DelayModel(history, k, min_history=MIN_HISTORY, min_own=MIN_OWN, smoothing=s)


def reliability(lines: list[Line], predict: Predictor) -> list[tuple[int, int, float, float]]:
    """Per decile of the predicted probability: (decile, lines, mean predicted, observed)."""
    bins: dict[int, list[tuple[float, float]]] = {}
    for x in lines:
        p = predict(x)
        bins.setdefault(min(int(p * 10), 9), []).append((p, float(x.late)))
    return [
        (d, len(v), statistics.fmean(p for p, _ in v), statistics.fmean(o for _, o in v))
        for d, v in sorted(bins.items())
    ]


def calibration_error(lines: list[Line], predict: Predictor) -> float:
    """Expected calibration error: |predicted - observed| per decile, weighted by lines."""
    rows = reliability(lines, predict)
    return sum(n * abs(p - o) for _, n, p, o in rows) / sum(n for _, n, _, _ in rows)


def deliveries(lines: list[Line], before: int) -> list[Delivery]:
    cut = DAY0 + timedelta(days=before)
    return [Delivery(x.supplier.id, x.promised, x.actual) for x in lines if x.actual < cut]


def open_lines(lines: list[Line], start: int, end: int) -> list[Line]:
    lo, hi = DAY0 + timedelta(days=start), DAY0 + timedelta(days=end)
    return [x for x in lines if lo <= x.forecast < hi]


Predictor = Callable[[Line], float]


def brier(lines: list[Line], predict: Predictor) -> float:
    return statistics.fmean((predict(x) - float(x.late)) ** 2 for x in lines)


def model_predictor(model: DelayModel) -> Predictor:
    def predict(x: Line) -> float:
        return model.probability_late(x.supplier.id, x.promised, x.need, x.forecast)

    return predict


def naive_point(history: list[Delivery]) -> Predictor:
    """Everybody's average delay added to the promise: late (1) or not (0)."""
    mean = statistics.fmean(d.delay for d in history)

    def predict(x: Line) -> float:
        expected = x.promised + timedelta(days=round(mean))
        return float(max(expected, x.forecast) > x.need)

    return predict


def oracle(x: Line) -> float:
    elapsed = (x.forecast - x.promised).days
    allowed = (x.need - x.promised).days
    still_open = x.supplier.survival(elapsed)
    return x.supplier.survival(max(allowed + 1, elapsed)) / still_open if still_open else 1.0


def choose_k(lines: list[Line]) -> tuple[float, dict[float, float]]:
    """The k with the best Brier score when fitting on the first part of the training window
    and scoring the rest of it."""
    history = deliveries(lines, CV_SPLIT)
    # Only outcomes known at the split may choose k; a month's margin keeps that from
    # favouring early arrivals.
    cut = DAY0 + timedelta(days=SPLIT)
    held_out = [x for x in open_lines(lines, CV_SPLIT, SPLIT - 30) if x.actual < cut]
    scores = {k: brier(held_out, model_predictor(DelayModel(history, k))) for k in K_GRID}
    return min(scores, key=scores.get), scores


def choose_s(lines: list[Line]) -> dict[float, float]:
    """Cross-validated Brier of the trusted model by smoothing s (same windows as choose_k)."""
    history = deliveries(lines, CV_SPLIT)
    cut = DAY0 + timedelta(days=SPLIT)
    held_out = [x for x in open_lines(lines, CV_SPLIT, SPLIT - 30) if x.actual < cut]
    return {s: brier(held_out, model_predictor(trusted(history, s=s))) for s in S_GRID}


def bucket(n: int) -> str:
    return "0-4" if n < 5 else "5-19" if n < 20 else "20+"


@dataclass(frozen=True)
class Result:
    seed: int
    suppliers: int
    train: int
    test: list[Line]
    k: float
    cv: dict[float, float]
    rows: list[tuple[str, float]]
    buckets: list[tuple[str, int, float, float, float, float, float]]
    s_cv: dict[float, float]
    deciles: dict[str, list[tuple[int, int, float, float]]]
    ece: dict[str, float]


def run(seed: int = SEED) -> Result:
    rng = random.Random(seed)
    lines = make_history(rng)
    k, cv = choose_k(lines)
    history = deliveries(lines, SPLIT)
    test = open_lines(lines, SPLIT, DAYS)
    chosen = DelayModel(history, k)
    predictors = {
        "oracle (true probabilities; the ceiling)": oracle,
        f"shrunk per supplier, k = {k:g} (chosen)": model_predictor(chosen),
        f"shrunk per supplier, k = {DEFAULT_K:g} (DEFAULT_K)": model_predictor(
            DelayModel(history, DEFAULT_K)
        ),
        f"trusted: min history {MIN_HISTORY}, own from {MIN_OWN}, s = {SMOOTHING:g} "
        "(deployed)": model_predictor(trusted(history)),
        "own history only (k = 0)": model_predictor(DelayModel(history, 0.0)),
        "naive: everybody's delay distribution": model_predictor(DelayModel(history, math.inf)),
        "naive: everybody's average delay": naive_point(history),
    }
    rows = [(name, brier(test, predict)) for name, predict in predictors.items()]
    groups: dict[str, list[Line]] = {}
    for x in test:
        groups.setdefault(bucket(chosen.deliveries(x.supplier.id)), []).append(x)
    buckets = [
        (
            name,
            len(group),
            brier(group, predictors[rows[1][0]]),
            brier(group, predictors["own history only (k = 0)"]),
            brier(group, predictors["naive: everybody's delay distribution"]),
            brier(group, predictors["naive: everybody's average delay"]),
            brier(group, oracle),
        )
        for name, group in sorted(
            groups.items(), key=lambda kv: ["0-4", "5-19", "20+"].index(kv[0])
        )
    ]
    suppliers = len({x.supplier.id for x in lines})
    compared = {
        f"raw (k = {DEFAULT_K:g}, no smoothing)": predictors[rows[2][0]],
        f"deployed (s = {SMOOTHING:g})": predictors[rows[3][0]],
        "oracle": oracle,
    }
    deciles = {name: reliability(test, p) for name, p in compared.items()}
    ece = {name: calibration_error(test, p) for name, p in compared.items()}
    return Result(
        seed, suppliers, len(history), test, k, cv, rows, buckets, choose_s(lines), deciles, ece
    )


def _overall(r: Result) -> list[str]:
    naive_point_score, naive_dist_score, ceiling = r.rows[-1][1], r.rows[-2][1], r.rows[0][1]
    out = [
        "| predictor | Brier | ÷ naive average delay | ÷ naive distribution | oracle ÷ this |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, score in r.rows:
        out.append(
            f"| {name} | {score:.4f} | {score / naive_point_score:.2f} | "
            f"{score / naive_dist_score:.2f} | {ceiling / score:.2f} |"
        )
    return out


def _by_history(r: Result) -> list[str]:
    out = [
        "| deliveries | lines | chosen k | k = 0 | naive distribution | naive average delay "
        "| oracle | chosen ÷ naive distribution | chosen ÷ naive average delay |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, count, ours, own, dist, point, best in r.buckets:
        out.append(
            f"| {name} | {count} | {ours:.4f} | {own:.4f} | {dist:.4f} | {point:.4f} | "
            f"{best:.4f} | {ours / dist:.2f} | {ours / point:.2f} |"
        )
    return out


def _deciles(r: Result) -> list[str]:
    names = list(r.deciles)
    out = [
        "| decile | " + " | ".join(f"{n}: lines · predicted · observed" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for d in range(10):
        cells = []
        for n in names:
            row = next((x for x in r.deciles[n] if x[0] == d), None)
            cells.append(f"{row[1]} · {row[2]:.2f} · {row[3]:.2f}" if row else "–")
        out.append(f"| {d * 10}–{d * 10 + 10}% | " + " | ".join(cells) + " |")
    out.append("| calibration error | " + " | ".join(f"{r.ece[n]:.3f}" for n in names) + " |")
    return out


def report(r: Result) -> str:
    late = statistics.fmean(float(x.late) for x in r.test)
    out = [
        "## Delay prediction backtest (bench/bench_prediction.py)",
        "",
        f"Seed {r.seed}: {r.suppliers} suppliers, {r.train} deliveries before the split "
        f"(day {SPLIT} of {DAYS}), {len(r.test)} open lines forecast after it "
        f"({late:.0%} of them arrived after their need date). k chosen by cross-validation "
        f"inside the training window: **{r.k:g}** (DEFAULT_K = {DEFAULT_K:g}). Lower Brier is "
        "better; the oracle predicts with the true probabilities and is the ceiling.",
        "",
        *_overall(r),
        "",
        "### By the supplier's deliveries before the split",
        "",
        *_by_history(r),
        "",
        "### Calibration: reliability per decile of the predicted probability (test lines)",
        "",
        *_deciles(r),
        "",
        "### Cross-validated Brier by smoothing s (trusted model, training window)",
        "",
        "| s | Brier |",
        "|---:|---:|",
        *(f"| {s:g} | {score:.4f} |" for s, score in r.s_cv.items()),
        "",
        "### Cross-validated Brier by k (training window)",
        "",
        "| k | Brier |",
        "|---:|---:|",
        *(f"| {k:g} | {score:.4f} |" for k, score in r.cv.items()),
    ]
    return "\n".join(out) + "\n"


def replicate(seed: int, count: int) -> str:
    """The same backtest on `count` histories: mean scores, and the k that is best on average
    in cross-validation (the one DEFAULT_K is set to)."""
    results = [run(seed + i) for i in range(count)]
    cv = {k: statistics.fmean(r.cv[k] for r in results) for k in K_GRID}
    best = min(cv, key=cv.get)
    names = [name for name, _ in results[0].rows]
    names[1] = "shrunk per supplier, k chosen per history"
    s_cv = {s: statistics.fmean(r.s_cv[s] for r in results) for s in S_GRID}
    best_s = min(s_cv, key=s_cv.get)
    ece = {n: statistics.fmean(r.ece[n] for r in results) for n in results[0].ece}
    point = [r.rows[-1][1] for r in results]
    dist = [r.rows[-2][1] for r in results]
    out = [
        f"### Over {count} histories (seeds {seed} to {seed + count - 1})",
        "",
        f"Mean cross-validated Brier is lowest at k = **{best:g}** "
        f"({cv[best]:.4f}; k = 0: {cv[0.0]:.4f}, k = ∞: {cv[math.inf]:.4f}). "
        f"Mean cross-validated Brier of the trusted model is lowest at s = **{best_s:g}** "
        f"({s_cv[best_s]:.4f}; s = 0: {s_cv[0.0]:.4f}; SMOOTHING = {SMOOTHING:g}). Mean "
        "calibration error: " + ", ".join(f"{n} {v:.3f}" for n, v in ece.items()) + ".",
        "",
        "| predictor | mean Brier | mean ÷ naive average delay | mean ÷ naive distribution "
        "| worst ÷ naive distribution |",
        "|---|---:|---:|---:|---:|",
    ]
    for i, name in enumerate(names):
        scores = [r.rows[i][1] for r in results]
        to_dist = [a / b for a, b in zip(scores, dist, strict=True)]
        out.append(
            f"| {name} | {statistics.fmean(scores):.4f} | "
            f"{statistics.fmean(a / b for a, b in zip(scores, point, strict=True)):.2f} | "
            f"{statistics.fmean(to_dist):.2f} | {max(to_dist):.2f} |"
        )
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--replicates", type=int, default=20)
    args = parser.parse_args()
    text = report(run(args.seed)) + "\n" + replicate(args.seed, args.replicates)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
