"""Pictures of an experiment: a learning curve for subsets, one panel per swept dimension for sweeps.

Every picture names its metric, marks the best point on the measure that chose it (the holdout score for
`best_score`, the final validation loss for `best_validation_loss`), draws the spread over the other
settings as a band or error bars, and labels both axes and the legend.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from ftstack.experiments.results import PointResult

LOSS_LABEL = "final validation loss (lower is better)"
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


def _value(result: PointResult, criterion: str) -> float | None:
    return result.score if criterion == "best_score" else result.valid_loss


def learning_curve(
    results: list[PointResult],
    best: PointResult | None,
    path: Path,
    title: str,
    criterion: str = "best_validation_loss",
    metric: str = "score",
) -> Path:
    """Validation loss and score against training examples (log scale): the mean per subset size with
    the range over the other settings as a band, the best point marked on the measure that chose it."""
    runs = [r for r in results if r.valid_loss is not None]
    fig, loss_axis = plt.subplots(figsize=(9, 5.5), dpi=100)
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
            xs, low, high, color="tab:red", alpha=0.15, label="range over the other settings"
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
            score_axis.fill_between(sx, slow, shigh, color="tab:blue", alpha=0.12)
        score_axis.set_ylabel(score_label(metric), color="tab:blue")
        axes_for["best_score"] = score_axis
    target_axis = axes_for.get(criterion, loss_axis)
    chosen = _value(best, criterion) if best is not None else None
    if best is not None and chosen is not None:
        measure = (
            f"highest holdout score ({metric})" if criterion == "best_score" else "lowest validation loss"
        )
        target_axis.scatter(
            [float(best.point.values["examples"])],
            [chosen],
            s=240,
            marker="*",
            color="gold",
            edgecolors="black",
            zorder=6,
            label=f"best: {best.point.tag} ({measure})",
        )
    handles, labels = [], []
    for axis in {id(a): a for a in (loss_axis, *axes_for.values())}.values():
        more_handles, more_labels = axis.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    loss_axis.set_xticks(sizes, [f"{x:g}" for x in sizes])  # the subset sizes themselves
    loss_axis.minorticks_off()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=8)
    loss_axis.set_title(title)
    loss_axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def sweep_comparison(
    results: list[PointResult],
    best: PointResult | None,
    path: Path,
    title: str,
    criterion: str = "best_validation_loss",
    metric: str = "score",
) -> Path:
    """One panel per swept dimension: the measure that picks the best point against that dimension's
    values (the mean over the other settings, with their range as error bars), the best point's value
    marked in every panel."""
    measure_name = score_label(metric) if criterion == "best_score" else LOSS_LABEL
    runs = [r for r in results if _value(r, criterion) is not None]
    dimensions = sorted({k for r in results for k in r.point.values if k != "examples"}) or ["examples"]
    if len({r.point.values.get("examples") for r in results}) > 1 and "examples" not in dimensions:
        dimensions.append("examples")
    fig, axes = plt.subplots(
        1, len(dimensions), figsize=(4.5 * len(dimensions) + 1, 5), dpi=100, squeeze=False
    )
    for axis, dimension in zip(axes[0], dimensions, strict=True):
        groups: dict[float, list[float]] = defaultdict(list)
        for r in runs:
            value = _value(r, criterion)
            if dimension in r.point.values and value is not None:
                groups[float(r.point.values[dimension])].append(value)
        xs = sorted(groups)
        means = [sum(groups[x]) / len(groups[x]) for x in xs]
        errors = [
            [m - min(groups[x]) for x, m in zip(xs, means, strict=True)],
            [max(groups[x]) - m for x, m in zip(xs, means, strict=True)],
        ]
        axis.errorbar(
            xs,
            means,
            yerr=errors,
            fmt="o-",
            capsize=4,
            color="tab:gray",
            label="mean (bars: range over the rest)",
        )
        chosen = _value(best, criterion) if best is not None else None
        if best is not None and chosen is not None and dimension in best.point.values:
            axis.scatter(
                [float(best.point.values[dimension])],
                [chosen],
                s=220,
                marker="*",
                color="gold",
                edgecolors="black",
                zorder=5,
                label=f"best: {best.point.tag}",
            )
        axis.set_xlabel(DIMENSION_LABELS.get(dimension, dimension))
        axis.set_xticks(xs, [f"{x:g}" for x in xs])
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="best")
    axes[0][0].set_ylabel(measure_name)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
