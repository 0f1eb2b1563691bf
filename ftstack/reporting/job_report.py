"""The report of one job: its curves (from the results file, else its metrics events), its checkpoints, the
best checkpoint by validation loss (chosen by the promotion rule), written as a PNG and a Markdown summary.

Each loss measure has one name everywhere (`LOSS_NAMES`): the sentence names the measure the rule used (full
validation loss when measured, else step validation loss). A failed or cancelled job recommends nothing
and carries the service's error; a running job is drawn as running, with only the epochs it has reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ftstack.promotion import PromotionError, select_model
from ftstack.reporting.curves import draw_curves
from ftstack.reporting.job_client import JobRecords
from ftstack.reporting.training_results import (
    LOSS_NAMES,
    CheckpointPoint,
    StepRow,
    TrainingCurve,
    checkpoint_points,
    epoch_boundaries,
    parse_results_csv,
)

CURVES_FILE = "curves.png"
SUMMARY_FILE = "report.md"
EVENTS_SHOWN = 25
ENDED_BADLY = ("failed", "cancelled")
TERMINAL = ("succeeded", *ENDED_BADLY)


@dataclass(frozen=True)
class JobReport:
    """Everything the report shows about one job."""

    job: dict[str, Any]
    curve: TrainingCurve
    checkpoints: list[CheckpointPoint]
    boundaries: list[int]
    best: CheckpointPoint | None
    best_model: str | None
    best_reason: str
    events: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    total_steps: int | None = None
    best_measure: str | None = None

    @property
    def job_id(self) -> str:
        """The job's id."""
        return str(self.job.get("id", ""))

    @property
    def status(self) -> str:
        """The job's status as the service reports it."""
        return str(self.job.get("status") or "unknown")

    @property
    def running(self) -> bool:
        """True while the job has not ended (pending, running, paused...)."""
        return self.status not in TERMINAL

    @property
    def failed(self) -> bool:
        """True when the job ended failed or cancelled."""
        return self.status in ENDED_BADLY

    @property
    def error(self) -> str | None:
        """The service's error for a failed job (message and code), if it gave one."""
        return job_error(self.job)

    @property
    def progress(self) -> str:
        """Steps logged, of how many when known, and whether the job is still going."""
        of = f" of {self.total_steps}" if self.total_steps else ""
        state = f" ({self.status})" if self.running else ""
        return f"{self.curve.last_step}{of}{state}"


@dataclass(frozen=True)
class ReportFiles:
    """Where the report was written."""

    curves_png: Path
    summary_md: Path


def _curve_from_events(events: list[dict[str, Any]]) -> TrainingCurve:
    """A training-only curve from the job's metrics events (for a job without a results file yet)."""
    rows: dict[int, StepRow] = {}
    for event in events:
        data = event.get("data")
        if event.get("type") != "metrics" or not isinstance(data, dict) or "step" not in data:
            continue
        step = int(data["step"])
        values = {
            "train_loss": data.get("train_loss"),
            "train_accuracy": data.get("train_mean_token_accuracy", data.get("train_accuracy")),
            "valid_loss": data.get("valid_loss"),
            "valid_accuracy": data.get("valid_mean_token_accuracy"),
        }
        rows[step] = StepRow(step, {k: float(v) for k, v in values.items() if isinstance(v, int | float)})
    return TrainingCurve(tuple(rows[s] for s in sorted(rows)))


def job_error(job: dict[str, Any]) -> str | None:
    """The error a failed job carries, as one line (message and code)."""
    error = job.get("error")
    if not isinstance(error, dict):
        return None
    message, code = error.get("message"), error.get("code")
    if not message and not code:
        return None
    return " ".join(f"{message or 'no message'}{f' ({code})' if code else ''}".split())


def _total_steps(events: list[dict[str, Any]]) -> int | None:
    """The job's step count, when its metrics events say it."""
    for event in reversed(events):
        data = event.get("data")
        if isinstance(data, dict) and isinstance(data.get("total_steps"), int | float):
            return int(data["total_steps"])
    return None


def _best(
    job: dict[str, Any], points: list[CheckpointPoint]
) -> tuple[CheckpointPoint | None, str | None, str, str | None]:
    """The best checkpoint by validation loss under the promotion rule, its model, the reason and the loss
    measure that decided."""
    status = str(job.get("status") or "unknown")
    if status in ENDED_BADLY:
        error = job_error(job)
        return None, None, f"the job {status}" + (f": {error}" if error else "") + "; nothing to deploy", None
    candidates = [
        {"step": p.step, "metrics": dict(p.metrics), "fine_tuned_model_checkpoint": p.model} for p in points
    ]
    final_model = job.get("fine_tuned_model")
    try:
        selection = select_model(final_model, candidates, "best_validation_loss")
    except PromotionError as error:
        return None, None, str(error), None
    chosen: CheckpointPoint | None
    if selection.model == final_model and points:
        chosen = points[-1]
    else:
        chosen = next((p for p in points if p.model == selection.model), None)
    measured = chosen.validation_measure if chosen is not None else None
    if chosen is None or measured is None:
        return chosen, selection.model, selection.reason, None
    measure, value = measured
    reason = f"lowest {measure} {value:.4f} at step {chosen.step}"
    if selection.model == final_model:
        reason += ": the final model"
    if status not in TERMINAL:
        reason += f" so far (the job is {status})"
    return chosen, selection.model, reason, measure


def build_report(records: JobRecords) -> JobReport:
    """The report for `records`: curves, epoch boundaries, checkpoints and the best one."""
    notes: list[str] = []
    if records.results_csv is not None:
        curve = parse_results_csv(records.results_csv)
    else:
        curve = _curve_from_events(records.events)
        notes.append(
            f"The job has no results file yet (status {records.job.get('status')}); "
            "the curves come from its metrics events."
        )
    points = checkpoint_points(records.checkpoints)
    hyperparameters = records.job.get("hyperparameters") or {}
    n_epochs = hyperparameters.get("n_epochs") if isinstance(hyperparameters, dict) else None
    total_steps = _total_steps(records.events)
    running = str(records.job.get("status")) not in TERMINAL
    if running and total_steps is None:
        n_epochs = None  # the logged steps are not the job's steps: no epoch ends can be placed yet
    boundaries = epoch_boundaries(curve, points, n_epochs if isinstance(n_epochs, int) else None, total_steps)
    best, best_model, reason, measure = _best(records.job, points)
    return JobReport(
        records.job,
        curve,
        points,
        boundaries,
        best,
        best_model,
        reason,
        records.events,
        notes,
        total_steps,
        measure,
    )


def _when(stamp: object) -> str:
    if not isinstance(stamp, int | float) or stamp <= 0:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: object, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "-"


def render_markdown(report: JobReport, curves_name: str = CURVES_FILE) -> str:
    """The report as Markdown: job facts, the curves picture, the best checkpoint, checkpoints and events."""
    job = report.job
    hyper = job.get("hyperparameters") or {}
    lines = [
        f"# Training report: `{report.job_id}`",
        "",
        "| | |",
        "|---|---|",
        f"| Status | {job.get('status', '-')} |",
        *([f"| Error | {report.error} |"] if report.error else []),
        f"| Base model | `{job.get('model', '-')}` |",
        f"| Fine-tuned model | `{job.get('fine_tuned_model') or '-'}` |",
        f"| Hyperparameters | {', '.join(f'{k}={v}' for k, v in hyper.items()) or '-'} |",
        f"| Trained tokens | {job.get('trained_tokens') or '-'} |",
        f"| Created / finished | {_when(job.get('created_at'))} / {_when(job.get('finished_at'))} |",
        f"| Steps logged | {report.progress} in {len(report.boundaries)} epochs |",
        "",
        f"![Training and validation loss and accuracy]({curves_name})",
        "",
    ]
    if report.best is not None:
        measure = report.best_measure or "validation loss"
        lines.append(
            f"**Best checkpoint by {measure}: step {report.best.step}**, model `{report.best_model}` "
            f"({report.best_reason}). Only deployable checkpoints (the last three) are candidates."
        )
    else:
        lines.append(f"**No best checkpoint**: {report.best_reason}")
    lines += [f"> {note}" for note in report.notes]
    lines += [
        "",
        "## Checkpoints",
        "",
        f"| Step | Model | {LOSS_NAMES['train_loss'].capitalize()} | {LOSS_NAMES['valid_loss'].capitalize()} | "
        f"{LOSS_NAMES['full_valid_loss'].capitalize()} | Full validation accuracy | |",
        "|---|---|---|---|---|---|---|",
    ]
    for point in report.checkpoints:
        marker = "best" if report.best is not None and point.step == report.best.step else ""
        m = point.metrics
        lines.append(
            f"| {point.step} | `{point.model}` | {_number(m.get('train_loss'))} | {_number(m.get('valid_loss'))} | "
            f"{_number(m.get('full_valid_loss'))} | {_number(m.get('full_valid_mean_token_accuracy'))} | {marker} |"
        )
    if not report.checkpoints:
        lines.append("| - | (none reported) | | | | | |")
    messages = [e for e in report.events if e.get("type", "message") != "metrics"]
    metrics = len(report.events) - len(messages)
    shown = min(EVENTS_SHOWN, len(messages))
    lines += [
        "",
        f"## Events: the last {shown} of {len(messages)} messages",
        "",
        f"{len(report.events)} events in all; the {metrics} metrics events are drawn in the curves.",
        "",
    ]
    lines += [
        f"- {_when(e.get('created_at'))} [{e.get('level', 'info')}] {e.get('message', '')}"
        for e in messages[-EVENTS_SHOWN:]
    ]
    return "\n".join(lines) + "\n"


def write_report(report: JobReport, folder: Path) -> ReportFiles:
    """Write the curves PNG and the Markdown summary into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    target = report.job.get("fine_tuned_model") or f"(no model: {report.status})"
    title = f"{report.job_id} ({report.status})\n{report.job.get('model', '')} -> {target}"
    png = draw_curves(
        report.curve,
        report.checkpoints,
        report.boundaries,
        report.best,
        title,
        folder / CURVES_FILE,
        running_to=report.total_steps if report.running else None,
        running=report.running,
    )
    summary = folder / SUMMARY_FILE
    summary.write_text(render_markdown(report), encoding="utf-8")
    return ReportFiles(png, summary)
