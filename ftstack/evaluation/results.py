"""What an evaluation found: per-metric scores with intervals, the paired comparison, usage and the gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftstack.evaluation.statistics import Interval, PairedOutcome

ROLES: tuple[str, ...] = ("base", "candidate")


@dataclass(frozen=True)
class UsageSummary:
    """One deployment's answers: how many, how many requests were newly sent, latency and tokens.

    `answers` = `new_requests` + `cached_answers` + `repeated_answers`: a prompt that appears several times in
    the holdout is sent (or read from the cache) once, and its later copies count as repeated.
    """

    deployment: str
    answers: int
    new_requests: int
    cached_answers: int
    latency_mean: float
    latency_p50: float
    latency_p95: float
    prompt_tokens: int
    completion_tokens: int
    repeated_answers: int = 0

    def to_json(self) -> dict[str, Any]:
        """The usage as JSON."""
        return {
            "deployment": self.deployment,
            "answers": self.answers,
            "new_requests": self.new_requests,
            "cached_answers": self.cached_answers,
            "repeated_answers": self.repeated_answers,
            "latency_seconds": {
                "mean": round(self.latency_mean, 4),
                "p50": round(self.latency_p50, 4),
                "p95": round(self.latency_p95, 4),
            },
            "tokens": {
                "prompt": self.prompt_tokens,
                "completion": self.completion_tokens,
                "total": self.prompt_tokens + self.completion_tokens,
            },
        }


@dataclass(frozen=True)
class MetricComparison:
    """One metric for both deployments, their paired difference and the win/tie/loss count."""

    name: str
    primary: bool
    base: Interval
    candidate: Interval
    delta: Interval
    outcome: PairedOutcome

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON."""
        return {
            "name": self.name,
            "primary": self.primary,
            "base": self.base.to_json(),
            "candidate": self.candidate.to_json(),
            "delta": self.delta.to_json(),
            **self.outcome.to_json(),
        }


@dataclass(frozen=True)
class GateOutcome:
    """Whether the candidate beat the base on the primary metric by at least `min_delta`."""

    metric: str
    min_delta: float
    delta: float
    passed: bool

    def to_json(self) -> dict[str, Any]:
        """The gate as JSON."""
        return {
            "metric": self.metric,
            "min_delta": self.min_delta,
            "delta": round(self.delta, 4),
            "passed": self.passed,
        }


@dataclass(frozen=True)
class ExampleOutcome:
    """One scored example: both answers and each metric's score for each."""

    line: int
    reference: str
    answers: dict[str, str]
    scores: dict[str, dict[str, float]]

    def to_json(self) -> dict[str, Any]:
        """The example as JSON."""
        return {
            "line": self.line,
            "reference": self.reference,
            "answers": self.answers,
            "scores": {m: {r: round(v, 4) for r, v in s.items()} for m, s in self.scores.items()},
        }


@dataclass(frozen=True)
class EvaluationResult:
    """The whole evaluation: what was compared on which data, and what it found."""

    endpoint: str
    data: str
    examples: int
    scored_examples: int
    usage: dict[str, UsageSummary]
    metrics: list[MetricComparison]
    gate: GateOutcome | None
    failures: list[str]
    details: list[ExampleOutcome]

    @property
    def complete(self) -> bool:
        """True when every example got an answer from both deployments."""
        return not self.failures and self.scored_examples == self.examples

    @property
    def primary(self) -> MetricComparison:
        """The primary metric's comparison."""
        return next(m for m in self.metrics if m.primary)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON (results.json and `--json`)."""
        return {
            "endpoint": self.endpoint,
            "data": self.data,
            "examples": self.examples,
            "scored_examples": self.scored_examples,
            "complete": self.complete,
            "base": self.usage["base"].to_json(),
            "candidate": self.usage["candidate"].to_json(),
            "metrics": [m.to_json() for m in self.metrics],
            "gate": self.gate.to_json() if self.gate else None,
            "failures": self.failures,
            "details": [d.to_json() for d in self.details],
        }
