"""The curves picture: training and validation loss (top) and token accuracy (bottom) per step, per-epoch
points at epoch ends, checkpoints marked, and the best checkpoint by validation loss starred. Each loss
measure carries its one name (`LOSS_NAMES`); a running job is drawn as running (its remaining steps shaded)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ftstack.reporting.picture_text import save_png
from ftstack.reporting.training_results import LOSS_NAMES, CheckpointPoint, TrainingCurve

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
    running_to: int | None = None,
    running: bool = False,
) -> Path:
    """Draw the loss and accuracy curves to a PNG of WIDTH_PIXELS x HEIGHT_PIXELS at `path`; returns it."""
    # A Figure on the Agg canvas, not pyplot: no global state, no display, safe in threads and servers.
    figure = Figure(figsize=(WIDTH_PIXELS / DPI, HEIGHT_PIXELS / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(2, 1, sharex=True)
    panels = ((loss_axes, "loss", "Loss"), (accuracy_axes, "accuracy", "Mean token accuracy"))
    names = {
        "loss": LOSS_NAMES,
        "accuracy": {
            "train_loss": "training accuracy",
            "valid_loss": "step validation accuracy",
            "full_valid_loss": "full validation accuracy",
        },
    }
    for axes, kind, label in panels:
        name = names[kind]
        steps, values = curve.series(f"train_{kind}")
        axes.plot(
            steps, values, color=TRAIN_COLOUR, alpha=0.45, linewidth=1, label=f"{name['train_loss']} (step)"
        )
        steps, values = curve.series(f"valid_{kind}")
        axes.plot(
            steps,
            values,
            color=VALID_COLOUR,
            alpha=0.45,
            linewidth=1,
            linestyle="--",
            label=f"{name['valid_loss']} (sampled each step)",
        )
        xs, ys = _epoch_means(curve, f"train_{kind}", boundaries)
        axes.plot(
            xs, ys, color=TRAIN_COLOUR, marker="o", linewidth=2, label=f"{name['train_loss']} (epoch mean)"
        )
        xs, ys = curve.series(f"full_valid_{kind}")
        epoch_label = f"{name['full_valid_loss']} (epoch end)"
        if not xs:
            xs, ys = _epoch_means(curve, f"valid_{kind}", boundaries)
            epoch_label = f"{name['valid_loss']} (epoch mean)"
        axes.plot(xs, ys, color=VALID_COLOUR, marker="s", linewidth=2, label=epoch_label)
        if running:
            end = max(running_to or 0, curve.last_step)
            if end > curve.last_step:
                axes.axvspan(curve.last_step, end, color="grey", alpha=0.08)
            axes.axvline(curve.last_step, color="black", linestyle="-.", linewidth=1)
            if axes is loss_axes:
                axes.annotate(
                    f"still training: step {curve.last_step}" + (f" of {running_to}" if running_to else ""),
                    (curve.last_step, 0.02),
                    xycoords=("data", "axes fraction"),
                    ha="right",
                    va="bottom",
                    fontsize=8,
                )
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
    measured = [(p.step, m) for p in checkpoints if (m := p.validation_measure) is not None]
    for measure in sorted({m[0] for _, m in measured}):
        marked = [(step, m[1]) for step, m in measured if m[0] == measure]
        loss_axes.scatter(
            [s for s, _ in marked],
            [v for _, v in marked],
            marker="^",
            s=60,
            color="black",
            zorder=5,
            label=f"checkpoint ({measure})",
        )
    best_measure = best.validation_measure if best is not None else None
    if best is not None and best_measure is not None:
        loss_axes.scatter(
            [best.step],
            [best_measure[1]],
            marker="*",
            s=320,
            color=BEST_COLOUR,
            zorder=6,
            edgecolors="black",
            label=f"best checkpoint: step {best.step}, lowest {best_measure[0]}"
            + (" so far" if running else ""),
        )
        # Label on the side with room: left of a star in the right half of the plot.
        on_right = best.step > 0.6 * max(curve.last_step, best.step)
        loss_axes.annotate(
            f"best: step {best.step}\n{best_measure[0]} {best_measure[1]:.3f}",
            (best.step, best_measure[1]),
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
    return save_png(figure, path, DPI)
