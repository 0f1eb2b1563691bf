"""Pictures of an experiment: a learning curve for subsets, a comparison for sweeps."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from ftstack.experiments.results import PointResult


def learning_curve(results: list[PointResult], best: PointResult | None, path: Path, title: str) -> Path:
    """Score and validation loss against training examples (log scale), the best point marked."""
    runs = sorted((r for r in results if r.valid_loss is not None), key=lambda r: r.point.values["examples"])
    fig, loss_axis = plt.subplots(figsize=(8, 5), dpi=100)
    xs = [float(r.point.values["examples"]) for r in runs]
    loss_axis.plot(xs, [r.valid_loss or 0.0 for r in runs], "o-", color="tab:red", label="validation loss")
    loss_axis.set_xscale("log")
    loss_axis.set_xlabel("training examples (log scale)")
    loss_axis.set_ylabel("final validation loss", color="tab:red")
    if best is not None and best.valid_loss is not None:
        loss_axis.scatter(
            [float(best.point.values["examples"])],
            [best.valid_loss],
            s=220,
            facecolors="none",
            edgecolors="black",
            linewidths=2,
            zorder=5,
            label=f"best: {best.point.tag}",
        )
    handles, labels = loss_axis.get_legend_handles_labels()
    if any(r.score is not None for r in runs):
        score_axis = loss_axis.twinx()
        scored = [r for r in runs if r.score is not None]
        score_axis.plot(
            [float(r.point.values["examples"]) for r in scored],
            [r.score or 0.0 for r in scored],
            "s-",
            color="tab:blue",
            label="holdout score",
        )
        score_axis.set_ylabel("holdout score", color="tab:blue")
        more_handles, more_labels = score_axis.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    loss_axis.set_xticks(xs, [f"{x:g}" for x in xs])  # the subset sizes themselves, not powers of ten
    loss_axis.minorticks_off()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    loss_axis.set_title(title)
    loss_axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def sweep_comparison(results: list[PointResult], best: PointResult | None, path: Path, title: str) -> Path:
    """Validation loss (and score) per sweep point, the best point highlighted."""
    runs = [r for r in results if r.valid_loss is not None]
    fig, axis = plt.subplots(figsize=(max(6.0, 1.1 * len(runs) + 2), 5), dpi=100)
    colors = ["tab:green" if best is not None and r is best else "tab:gray" for r in runs]
    axis.bar([r.point.tag for r in runs], [r.valid_loss or 0.0 for r in runs], color=colors)
    axis.set_ylabel("final validation loss (lower is better)")
    axis.set_title(title)
    for i, r in enumerate(runs):
        label = f"{r.valid_loss:.3f}" + (f"\nscore {r.score:.2f}" if r.score is not None else "")
        axis.annotate(label, (i, r.valid_loss or 0.0), ha="center", va="bottom", fontsize=8)
    axis.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
