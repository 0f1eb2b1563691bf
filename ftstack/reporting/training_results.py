"""The job's results file (CSV, one row per step) and checkpoints, read into curves a report can draw."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The service's column names vary between docs, API versions and OpenAI; each series accepts its aliases.
SERIES_COLUMNS: dict[str, tuple[str, ...]] = {
    "train_loss": ("train_loss",),
    "train_accuracy": ("train_accuracy", "train_mean_token_accuracy"),
    "valid_loss": ("valid_loss", "validation_loss"),
    "valid_accuracy": ("valid_mean_token_accuracy", "validation_mean_token_accuracy", "valid_accuracy"),
    "full_valid_loss": ("full_valid_loss",),
    "full_valid_accuracy": ("full_valid_mean_token_accuracy", "full_valid_accuracy"),
}


# One name per loss measure, used in the table, the picture and the sentences alike.
LOSS_NAMES = {
    "train_loss": "training loss",
    "valid_loss": "step validation loss",
    "full_valid_loss": "full validation loss",
}


class ResultsFileError(ValueError):
    """The results file cannot be read as a metrics CSV."""


@dataclass(frozen=True)
class StepRow:
    """The metrics logged at one step; a value is None where the service logged none."""

    step: int
    values: Mapping[str, float | None]

    def get(self, series: str) -> float | None:
        """The value of `series` at this step, if logged."""
        return self.values.get(series)


@dataclass(frozen=True)
class CheckpointPoint:
    """A checkpoint: where it was taken, its deployable model name and its metrics."""

    id: str
    step: int
    model: str
    metrics: Mapping[str, float]

    @property
    def validation_loss(self) -> float | None:
        """The full validation loss when measured, else the step validation loss (the promotion rule)."""
        measured = self.validation_measure
        return None if measured is None else measured[1]

    @property
    def validation_measure(self) -> tuple[str, float] | None:
        """(the measure's name, its value): the full validation loss when measured, else the step
        validation loss (measured on a sample of the validation data at that step)."""
        for key in ("full_valid_loss", "valid_loss"):
            value = self.metrics.get(key)
            if value is not None and math.isfinite(value):
                return LOSS_NAMES[key], float(value)
        return None


@dataclass(frozen=True)
class TrainingCurve:
    """Every logged step, in step order."""

    rows: tuple[StepRow, ...]

    def series(self, name: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one series, skipping steps where it was not logged."""
        steps, values = [], []
        for row in self.rows:
            value = row.get(name)
            if value is not None:
                steps.append(row.step)
                values.append(value)
        return steps, values

    @property
    def last_step(self) -> int:
        """The highest step logged (0 when empty)."""
        return self.rows[-1].step if self.rows else 0


def _number(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_results_csv(text: str) -> TrainingCurve:
    """The curve in a results CSV (`step,train_loss,train_accuracy,valid_loss,...`); raises ResultsFileError."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    if "step" not in columns:
        raise ResultsFileError(
            f"the results file has no 'step' column (columns: {', '.join(columns) or 'none'})"
        )
    rows: dict[int, StepRow] = {}
    for record in reader:
        clean = {(k or "").strip(): v for k, v in record.items()}
        step = _number(clean.get("step"))
        if step is None:
            continue
        values = {
            series: next((v for v in (_number(clean.get(alias)) for alias in aliases) if v is not None), None)
            for series, aliases in SERIES_COLUMNS.items()
        }
        rows[int(step)] = StepRow(int(step), values)
    return TrainingCurve(tuple(rows[s] for s in sorted(rows)))


def checkpoint_points(checkpoints: Sequence[Mapping[str, Any]]) -> list[CheckpointPoint]:
    """The checkpoints from the API's objects, in step order."""
    points = []
    for raw in checkpoints:
        metrics = {k: float(v) for k, v in (raw.get("metrics") or {}).items() if isinstance(v, int | float)}
        points.append(
            CheckpointPoint(
                id=str(raw.get("id", "")),
                step=int(raw.get("step_number") or metrics.get("step") or 0),
                model=str(raw.get("fine_tuned_model_checkpoint", "")),
                metrics=metrics,
            )
        )
    return sorted(points, key=lambda p: p.step)


def epoch_boundaries(
    curve: TrainingCurve,
    checkpoints: Sequence[CheckpointPoint],
    n_epochs: int | None,
    total_steps: int | None = None,
) -> list[int]:
    """The last step of each epoch reached so far: from checkpoints (taken at epoch ends), else
    full-validation rows, else the job's steps split evenly by its epochs. The job's steps are
    `total_steps` when known (a running job has logged only some of them); without it, only a finished
    job's logged steps can be split."""
    if checkpoints:
        return sorted({p.step for p in checkpoints})
    full_steps, _ = curve.series("full_valid_loss")
    if full_steps:
        return full_steps
    steps = total_steps or curve.last_step
    if n_epochs and n_epochs > 0 and steps:
        per_epoch = steps / n_epochs
        ends = [round(per_epoch * (i + 1)) for i in range(n_epochs)]
        return [end for end in ends if end <= curve.last_step]
    return []
