"""Distributions of a training file (messages, tokens and assistant tokens per example) and the
billed-token and cost estimate, for `ftstack data stats`."""

from __future__ import annotations

from collections.abc import Sequence
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
    if not values:
        return Distribution(0, 0, 0, 0, 0, 0, 0.0)
    ordered = sorted(values)
    n = len(ordered)

    def rank(p: float) -> int:
        return ordered[min(n - 1, max(0, round(p * (n - 1))))]

    return Distribution(n, ordered[0], rank(0.05), rank(0.5), rank(0.95), ordered[-1], sum(ordered) / n)


@dataclass(frozen=True)
class DataStats:
    """What `ftstack data stats` shows: the validation report, distributions and the billing estimate."""

    report: ValidationReport
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
        """Estimated training cost in the price's currency, when a price was given."""
        if self.price_per_million is None:
            return None
        return self.billed_tokens * self.price_per_million / 1_000_000

    def to_json(self) -> dict[str, object]:
        """The stats as JSON."""
        return {
            "examples": self.report.examples,
            "valid": self.report.valid,
            "error_count": self.report.error_count,
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
            "price_per_million_tokens": self.price_per_million,
            "estimated_cost": None if self.cost is None else round(self.cost, 2),
        }


def stats_from_scan(
    scan: FileScan, epochs: int | None = None, price_per_million: float | None = None
) -> DataStats:
    """Distributions and the billing estimate of one file pass; `epochs` None means `auto`."""
    report = report_from_scan(scan)
    limit = scan.settings.example_token_limit
    chosen = auto_epochs(scan.examples) if epochs is None else epochs
    reason = (
        explain_auto_epochs(scan.examples)
        if epochs is None
        else (f"{epochs} epochs as asked; {explain_auto_epochs(scan.examples)}")
    )
    return DataStats(
        report=report,
        messages=distribution(scan.messages),
        tokens=distribution(scan.tokens),
        assistant_tokens=distribution(scan.assistant_tokens),
        roles=dict(sorted(scan.roles.items())),
        over_limit=scan.over_limit,
        epochs=chosen,
        epochs_auto=epochs is None,
        epochs_reason=reason,
        billed_tokens=billed_tokens(sum(min(t, limit) for t in scan.tokens), chosen),
        price_per_million=price_per_million,
    )
