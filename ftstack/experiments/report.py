"""`ftstack experiment report`: results of every point, pictures, the best point and a recommendation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftstack.config.schema import EnvironmentConfig, JobConfig
from ftstack.data_plane import account_endpoint as _account_endpoint
from ftstack.experiments.charts import learning_curve, sweep_comparison
from ftstack.experiments.expansion import expand
from ftstack.experiments.results import PointResult, best_point, collect, recommendation
from ftstack.experiments.subsets import count_examples

if TYPE_CHECKING:
    from ftstack.evaluation.statistics import Interval


class ExperimentNotFoundError(ValueError):
    """The stack declares no experiment of that name; the message lists those it does."""


@dataclass
class ExperimentReport:
    """What the report found and where it wrote it."""

    experiment: str
    results: list[PointResult]
    best: PointResult | None
    best_reason: str
    recommendation: str
    files: list[Path]
    ties: str | None = None


def find_experiment(env: EnvironmentConfig, name: str) -> JobConfig:
    """The job that declares experiment `name`."""
    for job in env.fine_tuning.jobs:
        if job.experiment_name == name:
            return job
    known = ", ".join(str(j.experiment_name) for j in env.fine_tuning.jobs if j.experiment_name) or "none"
    raise ExperimentNotFoundError(f"no experiment {name!r} in this stack; experiments: {known}")


def account_endpoint(env: EnvironmentConfig) -> str:
    """The stack's account data-plane endpoint (`ftstack.data_plane.account_endpoint`)."""
    return _account_endpoint(env.account)


def ties(results: list[PointResult], best: PointResult | None, criterion: str) -> list[PointResult]:
    """The other points whose deciding measure equals the best one's (to 4 decimals)."""
    if best is None:
        return []

    def measure(r: PointResult) -> float | None:
        return r.score if criterion == "best_score" else r.valid_loss

    chosen = measure(best)
    if chosen is None:
        return []
    return [
        r
        for r in results
        if r is not best and (m := measure(r)) is not None and round(m, 4) == round(chosen, 4)
    ]


def tie_note(results: list[PointResult], best: PointResult | None, criterion: str) -> str | None:
    """A sentence saying which points tie with the best and how the tie was broken, or None."""
    tied = ties(results, best, criterion)
    if best is None or not tied:
        return None
    names = ", ".join(f"`{r.point.tag}`" for r in tied)
    rule = (
        "the lower final validation loss breaks a tie in score, then the first point in the experiment's order"
        if criterion == "best_score"
        else "the first point in the experiment's order wins a tie in validation loss"
    )
    return f"`{best.point.tag}` ties with {names}; {rule}."


def build_report(
    job: JobConfig,
    project_dir: Path,
    jobs: list[dict[str, Any]],
    checkpoints_of: Callable[[str], list[dict[str, Any]]],
    out_dir: Path,
    score_of: Callable[[PointResult], float | Interval] | None = None,
    metric: str = "score",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ExperimentReport:
    """Collect every point's results, score them when `score_of` is given (a score, or a score with its
    confidence interval), and write results and pictures; `on_progress(what, done, total)` hears each step."""
    name = job.experiment_name or job.name
    points = expand(job, count_examples(project_dir / job.training_file))
    tell = on_progress or (lambda _what, _done, _total: None)
    reading = f"reading the jobs of {name}"
    tell(reading, 0, len(points))
    results = collect(points, jobs, checkpoints_of, lambda done: tell(reading, done, len(points)))
    if score_of is not None:
        trained = [r for r in results if r.fine_tuned_model]
        for done, result in enumerate(trained):
            tell(f"scoring {result.point.tag} on the holdout", done, len(trained))
            scored = score_of(result)
            tell(f"scored {result.point.tag} on the holdout", done + 1, len(trained))
            if isinstance(scored, int | float):
                result.score = float(scored)
            else:
                result.score, result.score_low, result.score_high = scored.mean, scored.low, scored.high
    criterion = "best_score" if any(r.score is not None for r in results) else "best_validation_loss"
    try:
        best, why = best_point(results, criterion)  # type: ignore[arg-type]
    except ValueError as exc:
        best, why = None, str(exc)
    advice = recommendation(results)
    tie = tie_note(results, best, criterion)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    if any(r.point.subset_size is not None for r in results) and best is not None:
        files.append(
            learning_curve(
                results,
                best,
                out_dir / "learning_curve.png",
                f"Experiment {name}: learning curve",
                criterion,
                metric,
                tie,
            )
        )
    if any(len(r.point.values) > 1 for r in results) and best is not None:
        files.append(
            sweep_comparison(
                results, best, out_dir / "sweep.png", f"Experiment {name}: sweep", criterion, metric, tie
            )
        )
    payload = {
        "experiment": name,
        "criterion": criterion,
        "metric": metric if criterion == "best_score" else "final validation loss",
        "best": None
        if best is None
        else {"point": best.point.name, "model": best.fine_tuned_model, "reason": why, "ties": tie},
        "recommendation": advice,
        "points": [r.to_json() for r in results],
    }
    (out_dir / "scores.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    files.append(out_dir / "scores.json")
    (out_dir / "report.md").write_text(
        _markdown(name, results, best, why, advice, files, tie, metric), encoding="utf-8"
    )
    files.append(out_dir / "report.md")
    return ExperimentReport(name, results, best, why, advice, files, tie)


def _markdown(
    name: str,
    results: list[PointResult],
    best: PointResult | None,
    why: str,
    advice: str,
    files: list[Path],
    tie: str | None = None,
    metric: str = "score",
) -> str:
    swept = sorted({k for r in results for k in r.point.values if k != "examples"})
    header = [
        "point",
        "examples",
        *swept,
        "status",
        "final training loss",
        "final validation loss",
        f"holdout score ({metric}) [95% CI]",
    ]
    lines = [f"# Experiment `{name}`", "", f"**Recommendation:** {advice}", ""]
    lines.append(
        f"**Best point:** `{best.point.name}` ({why})" if best else f"**Best point:** none yet ({why})"
    )
    if tie:
        lines += ["", f"**Ties:** {tie}"]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        mark = " **(best)**" if r is best else ""
        cells = [
            f"`{r.point.tag}`{mark}",
            str(r.point.values["examples"]),
            *(str(r.point.values.get(k, "")) for k in swept),
            r.status,
            _fmt(r.train_loss),
            _fmt(r.valid_loss),
            _fmt(r.score)
            + (
                ""
                if r.score_low is None or r.score_high is None
                else f" [{r.score_low:.4f}, {r.score_high:.4f}]"
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    pictures = [f for f in files if f.suffix == ".png"]
    lines += ["", *[f"![{f.stem}]({f.name})" for f in pictures], ""]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
