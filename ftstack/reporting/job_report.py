"""The report of one job: its curves (from the results file, else its metrics events), its checkpoints, the
best checkpoint by validation loss (chosen by the promotion rule), written as a PNG and a Markdown summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ftstack.promotion import PromotionError, select_model
from ftstack.reporting.curves import draw_curves
from ftstack.reporting.job_client import JobRecords
from ftstack.reporting.training_results import (
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

    @property
    def job_id(self) -> str:
        """The job's id."""
        return str(self.job.get("id", ""))


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


def _best(
    job: dict[str, Any], points: list[CheckpointPoint]
) -> tuple[CheckpointPoint | None, str | None, str]:
    """The best checkpoint by validation loss under the promotion rule, its model and the reason."""
    candidates = [
        {"step": p.step, "metrics": dict(p.metrics), "fine_tuned_model_checkpoint": p.model} for p in points
    ]
    final_model = job.get("fine_tuned_model")
    try:
        selection = select_model(final_model, candidates, "best_validation_loss")
    except PromotionError as error:
        return None, None, str(error)
    chosen: CheckpointPoint | None
    if selection.model == final_model and points:
        chosen = points[-1]
    else:
        chosen = next((p for p in points if p.model == selection.model), None)
    return chosen, selection.model, selection.reason


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
    boundaries = epoch_boundaries(curve, points, n_epochs if isinstance(n_epochs, int) else None)
    best, best_model, reason = _best(records.job, points)
    return JobReport(records.job, curve, points, boundaries, best, best_model, reason, records.events, notes)


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
        f"| Base model | `{job.get('model', '-')}` |",
        f"| Fine-tuned model | `{job.get('fine_tuned_model') or '-'}` |",
        f"| Hyperparameters | {', '.join(f'{k}={v}' for k, v in hyper.items()) or '-'} |",
        f"| Trained tokens | {job.get('trained_tokens') or '-'} |",
        f"| Created / finished | {_when(job.get('created_at'))} / {_when(job.get('finished_at'))} |",
        f"| Steps logged | {report.curve.last_step} in {len(report.boundaries)} epochs |",
        "",
        f"![Training and validation loss and accuracy]({curves_name})",
        "",
    ]
    if report.best is not None:
        lines.append(
            f"**Best checkpoint by validation loss: step {report.best.step}**, model `{report.best_model}` "
            f"({report.best_reason}). Only deployable checkpoints (the last three) are candidates."
        )
    else:
        lines.append(f"**No best checkpoint**: {report.best_reason}")
    lines += [f"> {note}" for note in report.notes]
    lines += [
        "",
        "## Checkpoints",
        "",
        "| Step | Model | Train loss | Valid loss | Full valid loss | Full valid accuracy | |",
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
    lines += ["", f"## Events (last {min(EVENTS_SHOWN, len(messages))} of {len(messages)})", ""]
    lines += [
        f"- {_when(e.get('created_at'))} [{e.get('level', 'info')}] {e.get('message', '')}"
        for e in messages[-EVENTS_SHOWN:]
    ]
    return "\n".join(lines) + "\n"


def write_report(report: JobReport, folder: Path) -> ReportFiles:
    """Write the curves PNG and the Markdown summary into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{report.job_id}\n{report.job.get('model', '')} -> {report.job.get('fine_tuned_model') or '(not yet)'}"
    png = draw_curves(
        report.curve, report.checkpoints, report.boundaries, report.best, title, folder / CURVES_FILE
    )
    summary = folder / SUMMARY_FILE
    summary.write_text(render_markdown(report), encoding="utf-8")
    return ReportFiles(png, summary)
