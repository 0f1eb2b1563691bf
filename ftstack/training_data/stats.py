"""Distributions of a training file's valid examples (messages, tokens and assistant tokens per
example) and the billed-token and cost estimate, for `ftstack data stats`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ftstack.training_data.epochs import auto_epochs, billed_tokens, explain_auto_epochs
from ftstack.training_data.report import ValidationReport, report_from_scan
from ftstack.training_data.scan import FileScan


@dataclass(frozen=True)
class Distribution:
    """Min, p5, p50, p95, max and mean of one per-example quantity."""

    count: int
    min: int
    p5: int
    p50: int
    p95: int
    max: int
    mean: float

    def to_json(self) -> dict[str, object]:
        """The distribution as JSON."""
        return {
            "min": self.min,
            "p5": self.p5,
            "p50": self.p50,
            "p95": self.p95,
            "max": self.max,
            "mean": round(self.mean, 1),
        }


def distribution(values: Sequence[int]) -> Distribution:
    """The distribution of `values` (nearest-rank percentiles); all zeros when empty."""
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return distribution_of_histogram(counts)


def distribution_of_histogram(histogram: Mapping[int, int]) -> Distribution:
    """The distribution of the values a histogram (value -> how many) counts: nearest-rank percentiles
    over the values in order, as `distribution` gives for the list; all zeros when empty."""
    n = sum(histogram.values())
    if not n:
        return Distribution(0, 0, 0, 0, 0, 0, 0.0)
    ordered = sorted(histogram.items())
    wanted = {p: min(n - 1, max(0, round(p * (n - 1)))) for p in (0.05, 0.5, 0.95)}
    found: dict[float, int] = {}
    seen = 0
    for value, count in ordered:
        seen += count  # values at ranks [seen - count, seen) equal `value`
        for p, rank in wanted.items():
            if p not in found and rank < seen:
                found[p] = value
    mean = sum(value * count for value, count in ordered) / n
    return Distribution(n, ordered[0][0], found[0.05], found[0.5], found[0.95], ordered[-1][0], mean)


@dataclass(frozen=True)
class DataStats:
    """What `ftstack data stats` shows: the validation report, distributions and the billing estimate."""

    report: ValidationReport
    valid_examples: int
    messages: Distribution
    tokens: Distribution
    assistant_tokens: Distribution
    roles: dict[str, int]
    over_limit: int
    epochs: int
    epochs_auto: bool
    epochs_reason: str
    billed_tokens: int
    price_per_million: float | None

    @property
    def cost(self) -> float | None:
        """Estimated training cost in the price's currency, when a finite price was given."""
        if self.price_per_million is None or not math.isfinite(self.price_per_million):
            return None
        return self.billed_tokens * self.price_per_million / 1_000_000

    def to_json(self) -> dict[str, object]:
        """The stats as JSON."""
        return {
            "examples": self.report.examples,
            "valid": self.report.valid,
            "error_count": self.report.error_count,
            "valid_examples": self.valid_examples,
            "messages_per_example": self.messages.to_json(),
            "tokens_per_example": self.tokens.to_json(),
            "assistant_tokens_per_example": self.assistant_tokens.to_json(),
            "roles": self.roles,
            "examples_over_limit": self.over_limit,
            "token_limit": self.report.tokens.limit,
            "duplicates": self.report.duplicates,
            "epochs": self.epochs,
            "epochs_auto": self.epochs_auto,
            "epochs_reason": self.epochs_reason,
            "billed_tokens": self.billed_tokens,
            "price_per_million_tokens": None if self.cost is None else self.price_per_million,
            "estimated_cost": None if self.cost is None else round(self.cost, 2),
        }


def stats_from_scan(
    scan: FileScan, epochs: int | None = None, price_per_million: float | None = None
) -> DataStats:
    """Distributions over the valid examples and the billing estimate of one file pass; `epochs` None
    means `auto`; a price that is not a finite number is refused with ValueError."""
    if price_per_million is not None and not (math.isfinite(price_per_million) and price_per_million >= 0):
        raise ValueError(f"price {price_per_million} per million tokens: give a finite price of 0 or more")
    report = report_from_scan(scan)
    chosen = auto_epochs(scan.examples) if epochs is None else epochs
    reason = (
        explain_auto_epochs(scan.examples)
        if epochs is None
        else (f"{epochs} epochs as asked; {explain_auto_epochs(scan.examples)}")
    )
    return DataStats(
        report=report,
        valid_examples=scan.valid_examples,
        messages=distribution_of_histogram(scan.message_histogram),
        tokens=distribution_of_histogram(scan.token_histogram),
        assistant_tokens=distribution_of_histogram(scan.assistant_histogram),
        roles=dict(sorted(scan.roles.items())),
        over_limit=scan.over_limit,
        epochs=chosen,
        epochs_auto=epochs is None,
        epochs_reason=reason,
        billed_tokens=billed_tokens(scan.capped_tokens, chosen),
        price_per_million=price_per_million,
    )
