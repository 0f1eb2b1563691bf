"""Confidence intervals and paired comparison: Wilson for pass rates, a seeded bootstrap for graded scores
and for the paired difference, and win/tie/loss per example."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
BOOTSTRAP_SAMPLES = 2000
# Fixed so that the same answers always give the same intervals (reruns and reviews agree).
BOOTSTRAP_SEED = 20250401
TIE_TOLERANCE = 1e-9
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% confidence interval and the method that produced it."""

    mean: float
    low: float
    high: float
    method: str

    def to_json(self) -> dict[str, float | str]:
        """The interval as JSON (rounded to 4 decimals)."""
        return {
            "mean": round(self.mean, 4),
            "ci_low": round(self.low, 4),
            "ci_high": round(self.high, 4),
            "method": self.method,
        }


@dataclass(frozen=True)
class PairedOutcome:
    """How often the candidate scored higher, the same, or lower than the base on the same example."""

    wins: int
    ties: int
    losses: int

    def to_json(self) -> dict[str, int]:
        """The counts as JSON."""
        return {"win": self.wins, "tie": self.ties, "loss": self.losses}


def wilson_interval(scores: Sequence[float]) -> Interval:
    """The pass rate of 0/1 `scores` with its Wilson score interval (sound for small n and rates near 0 or 1)."""
    n = len(scores)
    if n == 0:
        return Interval(0.0, 0.0, 0.0, "wilson")
    p = sum(scores) / n
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At 0% or 100% the bound on that side is exact; do not let rounding move it.
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return Interval(p, low, high, "wilson")


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    position = q * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    return sorted_values[lower] * (1 - fraction) + sorted_values[upper] * fraction


def bootstrap_interval(values: Sequence[float], seed: int = BOOTSTRAP_SEED) -> Interval:
    """The mean of `values` with a percentile bootstrap interval from a fixed seed."""
    n = len(values)
    if n == 0:
        return Interval(0.0, 0.0, 0.0, "bootstrap")
    mean = sum(values) / n
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(BOOTSTRAP_SAMPLES))
    alpha = (1 - CONFIDENCE) / 2
    return Interval(mean, _percentile(means, alpha), _percentile(means, 1 - alpha), "bootstrap")


def score_interval(scores: Sequence[float], binary: bool) -> Interval:
    """Wilson for a pass rate, bootstrap for a graded score."""
    return wilson_interval(scores) if binary else bootstrap_interval(scores)


def paired_difference(candidate: Sequence[float], base: Sequence[float]) -> Interval:
    """Mean of candidate minus base per example, with a bootstrap interval over examples (keeps the pairing)."""
    if len(candidate) != len(base):
        raise ValueError("paired scores must have the same length")
    return bootstrap_interval([c - b for c, b in zip(candidate, base, strict=True)])


def paired_outcome(candidate: Sequence[float], base: Sequence[float]) -> PairedOutcome:
    """Win/tie/loss of the candidate against the base, example by example."""
    wins = ties = losses = 0
    for c, b in zip(candidate, base, strict=True):
        if abs(c - b) <= TIE_TOLERANCE:
            ties += 1
        elif c > b:
            wins += 1
        else:
            losses += 1
    return PairedOutcome(wins, ties, losses)
