"""Collect an experiment's results from the service: each point's job, final metrics and checkpoints,
pick the best point, and say what the results recommend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ftstack.experiments.expansion import ExperimentPoint

RESOURCE_TAG = "ftstack-resource"  # the FineTuningJob tags its job with its resource name (see fine_tuning)


@dataclass
class PointResult:
    """One point's outcome: its job, final losses, and (when evaluated) its holdout score."""

    point: ExperimentPoint
    job_id: str | None = None
    status: str = "not submitted"
    fine_tuned_model: str | None = None
    train_loss: float | None = None
    valid_loss: float | None = None
    score: float | None = None
    score_low: float | None = None  # the holdout score's 95% confidence interval, when scored
    score_high: float | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form written to results.json and scores.json."""
        return {
            "point": self.point.name,
            "tag": self.point.tag,
            "values": self.point.values,
            "job_id": self.job_id,
            "status": self.status,
            "fine_tuned_model": self.fine_tuned_model,
            "train_loss": self.train_loss,
            "valid_loss": self.valid_loss,
            "score": self.score,
            "interval": None
            if self.score_low is None or self.score_high is None
            else {"low": round(self.score_low, 4), "high": round(self.score_high, 4), "confidence": 0.95},
        }


def collect(
    points: list[ExperimentPoint],
    jobs: list[dict[str, Any]],
    checkpoints_of: Any,
    on_point: Callable[[int], None] | None = None,
) -> list[PointResult]:
    """Match each point to its newest job (by the resource tag in the job's metadata) and read its metrics.

    `checkpoints_of(job_id)` lists a job's checkpoints (dicts with `step_number` and `metrics`);
    `on_point(done)` is told how many points have been read after each one.
    """
    results = []
    for point in points:
        mine = [j for j in jobs if (j.get("metadata") or {}).get(RESOURCE_TAG) == point.name]
        result = PointResult(point)
        if mine:
            job = max(mine, key=lambda j: int(j.get("created_at") or 0))
            result.job_id = str(job["id"])
            result.status = str(job.get("status"))
            result.fine_tuned_model = job.get("fine_tuned_model")
            if result.status == "succeeded":
                result.checkpoints = sorted(
                    checkpoints_of(result.job_id), key=lambda c: int(c.get("step_number") or 0)
                )
                final = (result.checkpoints[-1].get("metrics") or {}) if result.checkpoints else {}
                result.train_loss = _number(final.get("full_train_loss", final.get("train_loss")))
                result.valid_loss = _number(final.get("full_valid_loss", final.get("valid_loss")))
        results.append(result)
        if on_point is not None:
            on_point(len(results))
    return results


Criterion = Literal["best_validation_loss", "best_score"]


def best_point(results: list[PointResult], criterion: Criterion) -> tuple[PointResult, str]:
    """The best finished point by `criterion`, and a sentence saying why; ValueError when none qualifies."""
    if criterion == "best_score":
        scored = [r for r in results if r.score is not None and r.fine_tuned_model]
        if not scored:
            raise ValueError(
                "no point has a holdout score yet; run `ftstack experiment report --data HOLDOUT`"
            )
        # Scores equal to 4 decimals (as the report prints them) tie: the lower final validation loss
        # breaks the tie, then the first point in the experiment's order (max keeps the first).
        best = max(
            scored,
            key=lambda r: (
                round(r.score or 0.0, 4),
                -(r.valid_loss if r.valid_loss is not None else float("inf")),
            ),
        )
        return best, f"highest holdout score {best.score:.3f} of {len(scored)} evaluated points"
    finished = [r for r in results if r.valid_loss is not None and r.fine_tuned_model]
    if not finished:
        raise ValueError("no point has finished with a validation loss yet")
    best = min(finished, key=lambda r: round(r.valid_loss or 0.0, 4))  # a tie: the first in order
    return best, f"lowest final validation loss {best.valid_loss:.4f} of {len(finished)} finished points"


def recommendation(results: list[PointResult]) -> str:
    """What the learning curve or sweep suggests, in one sentence."""
    subset_runs = [r for r in results if r.point.subset_size is not None]
    if len({r.point.subset_size for r in subset_runs}) >= 2:
        by_size: dict[int, list[PointResult]] = {}
        for r in subset_runs:
            by_size.setdefault(int(r.point.values["examples"]), []).append(r)
        sizes = sorted(by_size)
        metric = "score" if all(r.score is not None for r in subset_runs) else "valid_loss"
        series = [_mean([getattr(r, metric) for r in by_size[s]]) for s in sizes]
        if None in series:
            return "Not every point has finished; rerun the report when they have."
        last, previous = float(series[-1] or 0.0), float(series[-2] or 0.0)
        gain = (last - previous) if metric == "score" else (previous - last)
        scale = abs(previous) or 1.0
        words = "holdout score" if metric == "score" else "validation loss"
        if gain / scale > 0.02:
            return (
                f"Quality still rising at {sizes[-1]} examples ({words} improved {gain / scale:.0%} from "
                f"{sizes[-2]}): more data is likely to help."
            )
        return (
            f"Quality has levelled off between {sizes[-2]} and {sizes[-1]} examples ({words} changed "
            f"{gain / scale:+.0%}): more data of the same kind is unlikely to help much; improve quality instead."
        )
    try:
        best, why = best_point(
            results, "best_score" if any(r.score is not None for r in results) else "best_validation_loss"
        )
    except ValueError as exc:
        return str(exc)
    return f"Use {best.point.tag} ({why})."


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known and len(known) == len(values) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
