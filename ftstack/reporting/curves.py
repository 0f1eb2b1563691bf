"""The curves picture: training and validation loss (top) and token accuracy (bottom) per step, per-epoch
points at epoch ends, checkpoints marked, and the best checkpoint by validation loss starred."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ftstack.reporting.training_results import CheckpointPoint, TrainingCurve

WIDTH_PIXELS = 1200
HEIGHT_PIXELS = 800
DPI = 100
TRAIN_COLOUR = "#1f77b4"
VALID_COLOUR = "#ff7f0e"
BEST_COLOUR = "#2ca02c"


def _epoch_means(
    curve: TrainingCurve, series: str, boundaries: Sequence[int]
) -> tuple[list[int], list[float]]:
    """The mean of `series` over each epoch, placed at the epoch's last step."""
    steps, values = curve.series(series)
    xs, ys = [], []
    start = 0
    for end in boundaries:
        window = [v for s, v in zip(steps, values, strict=True) if start < s <= end]
        if window:
            xs.append(end)
            ys.append(sum(window) / len(window))
        start = end
    return xs, ys


def draw_curves(
    curve: TrainingCurve,
    checkpoints: Sequence[CheckpointPoint],
    boundaries: Sequence[int],
    best: CheckpointPoint | None,
    title: str,
    path: Path,
) -> Path:
    """Draw the loss and accuracy curves to a PNG of WIDTH_PIXELS x HEIGHT_PIXELS at `path`; returns it."""
    # A Figure on the Agg canvas, not pyplot: no global state, no display, safe in threads and servers.
    figure = Figure(figsize=(WIDTH_PIXELS / DPI, HEIGHT_PIXELS / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(2, 1, sharex=True)
    panels = ((loss_axes, "loss", "Loss"), (accuracy_axes, "accuracy", "Mean token accuracy"))
    for axes, kind, label in panels:
        steps, values = curve.series(f"train_{kind}")
        axes.plot(steps, values, color=TRAIN_COLOUR, alpha=0.45, linewidth=1, label=f"training {kind} (step)")
        steps, values = curve.series(f"valid_{kind}")
        axes.plot(
            steps,
            values,
            color=VALID_COLOUR,
            alpha=0.45,
            linewidth=1,
            linestyle="--",
            label=f"validation {kind} (step, sampled)",
        )
        xs, ys = _epoch_means(curve, f"train_{kind}", boundaries)
        axes.plot(xs, ys, color=TRAIN_COLOUR, marker="o", linewidth=2, label=f"training {kind} (epoch mean)")
        xs, ys = curve.series(f"full_valid_{kind}")
        if not xs:
            xs, ys = _epoch_means(curve, f"valid_{kind}", boundaries)
        axes.plot(xs, ys, color=VALID_COLOUR, marker="s", linewidth=2, label=f"validation {kind} (epoch)")
        for number, end in enumerate(boundaries, start=1):
            axes.axvline(end, color="grey", linestyle=":", linewidth=1)
            if axes is loss_axes:
                axes.annotate(
                    f"epoch {number}",
                    (end, 1.0),
                    xycoords=("data", "axes fraction"),
                    ha="right",
                    va="top",
                    fontsize=8,
                    color="grey",
                )
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
    scored = [(p, p.validation_loss) for p in checkpoints]
    marked = [(p.step, loss) for p, loss in scored if loss is not None]
    if marked:
        loss_axes.scatter(
            [s for s, _ in marked],
            [v for _, v in marked],
            marker="^",
            s=60,
            color="black",
            zorder=5,
            label="checkpoint (validation loss)",
        )
    if best is not None and best.validation_loss is not None:
        loss_axes.scatter(
            [best.step],
            [best.validation_loss],
            marker="*",
            s=320,
            color=BEST_COLOUR,
            zorder=6,
            edgecolors="black",
            label=f"best checkpoint: step {best.step}",
        )
        # Label on the side with room: left of a star in the right half of the plot.
        on_right = best.step > 0.6 * max(curve.last_step, best.step)
        loss_axes.annotate(
            f"best: step {best.step}\nvalidation loss {best.validation_loss:.3f}",
            (best.step, best.validation_loss),
            textcoords="offset points",
            xytext=(-12, 18) if on_right else (12, 18),
            ha="right" if on_right else "left",
            fontsize=9,
            color=BEST_COLOUR,
            fontweight="bold",
        )
    loss_axes.legend(loc="best", fontsize=8)
    accuracy_axes.legend(loc="best", fontsize=8)
    accuracy_axes.set_xlabel("step")
    loss_axes.set_title(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path
