"""Pictures of an experiment: a learning curve for subsets, one panel per swept dimension for sweeps.

Every picture names its metric, marks the best point on the measure that chose it (the holdout score for
`best_score`, the final validation loss for `best_validation_loss`), draws each scored point's 95%
confidence interval (the evaluation's interval over the holdout examples) and the spread over the other
settings, says how a tie was broken, and labels both axes and the legend. The PNG carries the same words as
its `Description` text (`ftstack.reporting.picture_text`), for readers and tests that cannot see the picture.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ftstack.experiments.results import PointResult
from ftstack.reporting.picture_text import save_png

LOSS_LABEL = "final validation loss (lower is better)"
NO_LOSS_INTERVAL = "one point (the service reports no interval for a validation loss)"
NO_SCORE_INTERVAL = "one point (scored without a confidence interval)"
SCORE_INTERVAL = "one point with its 95% CI (bootstrap over the holdout examples)"
DIMENSION_LABELS = {
    "n_epochs": "epochs",
    "batch_size": "batch size",
    "learning_rate_multiplier": "learning rate multiplier",
    "seed": "seed",
    "examples": "training examples",
}


def score_label(metric: str) -> str:
    """The axis label of the holdout score."""
    return f"holdout score: {metric} (higher is better)"


def criterion_words(criterion: str, metric: str) -> str:
    """How the best point was chosen, in words."""
    return (
        f"highest holdout score ({metric})" if criterion == "best_score" else "lowest final validation loss"
    )


def _value(result: PointResult, criterion: str) -> float | None:
    return result.score if criterion == "best_score" else result.valid_loss


def _interval(result: PointResult) -> tuple[float, float] | None:
    if result.score is None or result.score_low is None or result.score_high is None:
        return None
    return result.score - result.score_low, result.score_high - result.score


def _save(fig: Figure, path: Path) -> Path:
    save_png(fig, path)
    plt.close(fig)
    return path


def _footnote(fig: Figure, criterion: str, metric: str, tie: str | None) -> None:
    note = f"best point chosen by {criterion_words(criterion, metric)}"
    if tie:
        note += f"; ties: {tie.replace('`', '')}"
    fig.text(0.5, 0.01, note, ha="center", va="bottom", fontsize=8, wrap=True)


def learning_curve(
    results: list[PointResult],
    best: PointResult | None,
    path: Path,
    title: str,
    criterion: str = "best_validation_loss",
    metric: str = "score",
    tie: str | None = None,
) -> Path:
    """Validation loss and score against training examples (log scale): the mean per subset size with
    the range over the other settings as a band, each score with its 95% interval, the best point marked
    on the measure that chose it."""
    runs = [r for r in results if r.valid_loss is not None]
    fig, loss_axis = plt.subplots(figsize=(9, 5.5), dpi=100)
    fig.suptitle(title)
    sizes = sorted({float(r.point.values["examples"]) for r in runs})

    def series(attribute: str) -> tuple[list[float], list[float], list[float], list[float]]:
        groups: dict[float, list[float]] = defaultdict(list)
        for r in runs:
            value = getattr(r, attribute)
            if value is not None:
                groups[float(r.point.values["examples"])].append(float(value))
        xs = [x for x in sizes if groups[x]]
        return (
            xs,
            [sum(groups[x]) / len(groups[x]) for x in xs],
            [min(groups[x]) for x in xs],
            [max(groups[x]) for x in xs],
        )

    xs, mean, low, high = series("valid_loss")
    loss_axis.plot(xs, mean, "o-", color="tab:red", label="final validation loss (mean per size)")
    if any(h > lo for lo, h in zip(low, high, strict=True)):
        loss_axis.fill_between(
            xs, low, high, color="tab:red", alpha=0.15, label="loss: range over the other settings"
        )
    loss_axis.set_xscale("log")
    loss_axis.set_xlabel("training examples (log scale)")
    loss_axis.set_ylabel(LOSS_LABEL, color="tab:red")
    axes_for = {"best_validation_loss": loss_axis}
    if any(r.score is not None for r in runs):
        score_axis = loss_axis.twinx()
        sx, smean, slow, shigh = series("score")
        score_axis.plot(sx, smean, "s-", color="tab:blue", label=f"holdout score ({metric}, mean per size)")
        if any(h > lo for lo, h in zip(slow, shigh, strict=True)):
            score_axis.fill_between(
                sx, slow, shigh, color="tab:blue", alpha=0.12, label="score: range over the other settings"
            )
        with_interval = [r for r in runs if _interval(r) is not None]
        if with_interval:
            bars = [_interval(r) for r in with_interval]
            score_axis.errorbar(
                [float(r.point.values["examples"]) for r in with_interval],
                [float(r.score or 0.0) for r in with_interval],
                yerr=[[b[0] for b in bars if b], [b[1] for b in bars if b]],
                fmt="none",
                ecolor="tab:blue",
                alpha=0.6,
                capsize=3,
                label=f"score: {SCORE_INTERVAL}",
            )
        score_axis.set_ylabel(score_label(metric), color="tab:blue")
        axes_for["best_score"] = score_axis
    target_axis = axes_for.get(criterion, loss_axis)
    chosen = _value(best, criterion) if best is not None else None
    if best is not None and chosen is not None:
        target_axis.scatter(
            [float(best.point.values["examples"])],
            [chosen],
            s=240,
            marker="*",
            color="gold",
            edgecolors="black",
            zorder=6,
            label=f"best: {best.point.tag} ({criterion_words(criterion, metric)})",
        )
    handles, labels = [], []
    for axis in {id(a): a for a in (loss_axis, *axes_for.values())}.values():
        more_handles, more_labels = axis.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    loss_axis.set_xticks(sizes, [f"{x:g}" for x in sizes])  # the subset sizes themselves
    loss_axis.minorticks_off()
    fig.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.04), ncol=2, frameon=False, fontsize=8
    )
    loss_axis.grid(True, which="both", alpha=0.3)
    _footnote(fig, criterion, metric, tie)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    return _save(fig, path)


def sweep_comparison(
    results: list[PointResult],
    best: PointResult | None,
    path: Path,
    title: str,
    criterion: str = "best_validation_loss",
    metric: str = "score",
    tie: str | None = None,
) -> Path:
    """One panel per swept dimension, its values in order on the x axis: the measure that picks the best
    point (the mean over the other settings as a line, each point beside it with its 95% interval when
    scored), the best point marked in every panel."""
    measure_name = score_label(metric) if criterion == "best_score" else LOSS_LABEL
    runs = [r for r in results if _value(r, criterion) is not None]
    dimensions = sorted({k for r in results for k in r.point.values if k != "examples"}) or ["examples"]
    if len({r.point.values.get("examples") for r in results}) > 1 and "examples" not in dimensions:
        dimensions.append("examples")
    fig, axes = plt.subplots(
        1, len(dimensions), figsize=(4.5 * len(dimensions) + 1, 5.5), dpi=100, squeeze=False
    )
    fig.suptitle(f"{title}: {measure_name}")
    for axis, dimension in zip(axes[0], dimensions, strict=True):
        groups: dict[float, list[PointResult]] = defaultdict(list)
        for r in runs:
            if dimension in r.point.values:
                groups[float(r.point.values[dimension])].append(r)
        xs = sorted(groups)
        position = {x: i for i, x in enumerate(xs)}  # evenly spaced, in order: no zig-zag, no crowding

        def measure(r: PointResult) -> float:
            value = _value(r, criterion)
            return float(value) if value is not None else 0.0

        means = [sum(measure(r) for r in groups[x]) / len(groups[x]) for x in xs]
        axis.plot(range(len(xs)), means, "o-", color="tab:gray", label="mean over the other settings")
        width = 0.3
        singles_x: list[float] = []
        singles_y: list[float] = []
        low_bars: list[float] = []
        high_bars: list[float] = []
        best_x: float | None = None
        for x in xs:
            members = groups[x]
            for k, r in enumerate(members):
                offset = (k - (len(members) - 1) / 2) * (width / max(len(members) - 1, 1))
                singles_x.append(position[x] + offset)
                if r is best:
                    best_x = position[x] + offset
                singles_y.append(measure(r))
                bar = _interval(r) if criterion == "best_score" else None
                low_bars.append(bar[0] if bar else 0.0)
                high_bars.append(bar[1] if bar else 0.0)
        has_intervals = criterion == "best_score" and any(low_bars + high_bars)
        axis.errorbar(
            singles_x,
            singles_y,
            yerr=[low_bars, high_bars] if has_intervals else None,
            fmt=".",
            color="tab:blue",
            ecolor="tab:blue",
            alpha=0.7,
            capsize=3,
            label=SCORE_INTERVAL
            if has_intervals
            else (NO_SCORE_INTERVAL if criterion == "best_score" else NO_LOSS_INTERVAL),
        )
        chosen = _value(best, criterion) if best is not None else None
        if best is not None and chosen is not None and best_x is not None:
            axis.scatter(
                [best_x],
                [chosen],
                s=220,
                marker="*",
                color="gold",
                edgecolors="black",
                zorder=5,
                label=f"best: {best.point.tag} ({criterion_words(criterion, metric)})",
            )
        axis.set_xlabel(DIMENSION_LABELS.get(dimension, dimension))
        axis.set_ylabel(measure_name)
        axis.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        axis.set_xlim(-0.5, len(xs) - 0.5)
        axis.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.06), ncol=3, frameon=False, fontsize=8
    )
    _footnote(fig, criterion, metric, tie)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return _save(fig, path)
