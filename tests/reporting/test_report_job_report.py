"""The job report: best checkpoint, the curves picture and the Markdown summary, from recorded job data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.image

from ftstack.reporting.curves import HEIGHT_PIXELS, WIDTH_PIXELS
from ftstack.reporting.job_client import JobRecords
from ftstack.reporting.job_report import build_report, render_markdown, write_report

SPEC_EXAMPLES = Path(__file__).parent / "recorded" / "get_finetuning_job_checkpoints.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _checkpoint(step: int, full_valid_loss: float | None, valid_loss: float) -> dict[str, Any]:
    metrics = {"step": step, "train_loss": 1.0 / step, "valid_loss": valid_loss}
    if full_valid_loss is not None:
        metrics["full_valid_loss"] = full_valid_loss
    return {
        "id": f"ftckpt_{step}",
        "step_number": step,
        "metrics": metrics,
        "fine_tuned_model_checkpoint": f"base.ft-1:ckpt-step-{step}",
    }


def _records(checkpoints: list[dict[str, Any]], results_csv: str | None = None, **job: Any) -> JobRecords:
    base_job = {
        "id": "ftjob-1",
        "status": "succeeded",
        "model": "base",
        "fine_tuned_model": "base.ft-1",
        "hyperparameters": {"n_epochs": len(checkpoints) or 3},
    }
    base_job.update(job)
    csv = (
        results_csv
        if results_csv is not None
        else "step,train_loss,valid_loss\n"
        + "".join(f"{s},{2.0 / s:.3f},{1.5 / s + 0.1:.3f}\n" for s in range(1, 31))
    )
    return JobRecords(base_job, [], checkpoints, csv, "file-1")


def test_the_best_checkpoint_is_the_one_with_the_lowest_full_validation_loss() -> None:
    report = build_report(
        _records([_checkpoint(10, 0.9, 0.1), _checkpoint(20, 0.6, 2.0), _checkpoint(30, 0.8, 0.2)])
    )
    assert report.best is not None and report.best.step == 20
    assert report.best_model == "base.ft-1:ckpt-step-20"


def test_the_sampled_validation_loss_decides_when_no_full_validation_loss_was_reported() -> None:
    report = build_report(
        _records([_checkpoint(10, None, 0.9), _checkpoint(20, None, 0.4), _checkpoint(30, None, 0.5)])
    )
    assert report.best is not None and report.best.step == 20


def test_the_final_step_winning_selects_the_final_model() -> None:
    report = build_report(
        _records([_checkpoint(10, 0.9, 0.9), _checkpoint(20, 0.8, 0.8), _checkpoint(30, 0.3, 0.3)])
    )
    assert report.best is not None and report.best.step == 30
    assert report.best_model == "base.ft-1"


def test_the_spec_example_checkpoints_pick_step_30() -> None:
    body = json.loads(SPEC_EXAMPLES.read_text())["responses"]["200"]["body"]
    report = build_report(_records(body["data"], fine_tuned_model=None))
    assert report.best is not None and report.best.step == 30
    assert report.best.validation_loss == 0.114


def test_a_job_without_checkpoints_has_no_best_and_says_why() -> None:
    report = build_report(_records([]))
    assert report.best is None
    assert "no checkpoints" in report.best_reason
    assert "**No best checkpoint**" in render_markdown(report)


def test_the_curves_png_is_a_real_image_of_the_documented_size(tmp_path: Path) -> None:
    report = build_report(
        _records([_checkpoint(10, 0.9, 0.9), _checkpoint(20, 0.6, 0.6), _checkpoint(30, 0.7, 0.7)])
    )
    files = write_report(report, tmp_path / "out")
    assert files.curves_png.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = matplotlib.image.imread(files.curves_png).shape
    assert (width, height) == (WIDTH_PIXELS, HEIGHT_PIXELS)
    markdown = files.summary_md.read_text()
    assert "![Training and validation loss and accuracy](curves.png)" in markdown
    assert "| 20 | `base.ft-1:ckpt-step-20` |" in markdown and markdown.count("| best |") == 1


def test_a_running_job_is_drawn_from_its_metrics_events(tmp_path: Path) -> None:
    events = [
        {
            "id": f"e{s}",
            "created_at": s,
            "type": "metrics",
            "level": "info",
            "message": f"Step {s}",
            "data": {"step": s, "train_loss": 2.0 / s, "train_mean_token_accuracy": 0.1 * s},
        }
        for s in range(1, 6)
    ]
    records = JobRecords({"id": "ftjob-2", "status": "running", "model": "base"}, events, [], None, None)
    report = build_report(records)
    assert report.curve.series("train_loss")[0] == [1, 2, 3, 4, 5]
    assert any("metrics events" in note for note in report.notes)
    assert write_report(report, tmp_path).curves_png.read_bytes()[:8] == PNG_SIGNATURE


def test_the_sentence_names_the_loss_measure_that_chose_the_best_checkpoint() -> None:
    # Step 20 has the lowest step validation loss, step 30 the lowest full validation loss: the rule uses
    # the full one, and the sentence, the table and the picture say so.
    report = build_report(
        _records([_checkpoint(10, 0.9, 0.8), _checkpoint(20, 0.7, 0.2), _checkpoint(30, 0.5, 0.6)])
    )
    assert report.best is not None and report.best.step == 30
    assert report.best_reason.startswith("lowest full validation loss 0.5000 at step 30")
    markdown = render_markdown(report)
    assert "**Best checkpoint by full validation loss: step 30**" in markdown
    assert "| Step validation loss | Full validation loss |" in markdown


def test_a_failed_job_recommends_nothing_and_shows_the_services_error() -> None:
    records = _records(
        [_checkpoint(10, 0.9, 0.8)],
        status="failed",
        fine_tuned_model=None,
        error={"code": "invalidTrainingFile", "message": "The training file has too few examples."},
    )
    report = build_report(records)
    assert report.failed and report.best is None
    assert "The training file has too few examples. (invalidTrainingFile)" in report.best_reason
    markdown = render_markdown(report)
    assert "| Error | The training file has too few examples. (invalidTrainingFile) |" in markdown
    assert "Best checkpoint by" not in markdown


def test_a_running_job_places_only_the_epochs_it_has_reached() -> None:
    events: list[dict[str, Any]] = [
        {
            "id": f"e{s}",
            "created_at": s,
            "type": "metrics",
            "data": {"step": s, "total_steps": 30, "train_loss": 1.0},
        }
        for s in range(1, 16)
    ]
    running = JobRecords(
        {"id": "ftjob-3", "status": "running", "model": "base", "hyperparameters": {"n_epochs": 3}},
        events,
        [],
        None,
        None,
    )
    report = build_report(running)
    assert report.boundaries == [10]  # 30 steps in 3 epochs, 15 logged: one epoch end so far
    assert report.running and report.progress == "15 of 30 (running)"
    unknown_total = JobRecords(
        {"id": "ftjob-4", "status": "running", "model": "base", "hyperparameters": {"n_epochs": 3}},
        [{**e, "data": {"step": e["data"]["step"], "train_loss": 1.0}} for e in events],
        [],
        None,
        None,
    )
    assert build_report(unknown_total).boundaries == []  # not the logged steps split in three


def test_the_events_heading_counts_messages_and_metrics_apart() -> None:
    events = [{"id": "m", "created_at": 1, "type": "metrics", "data": {"step": 1}}] * 3 + [
        {"id": "x", "created_at": 2, "type": "message", "message": "Job succeeded."}
    ]
    records = _records([_checkpoint(10, 0.9, 0.8)])
    report = build_report(JobRecords(records.job, events, records.checkpoints, records.results_csv, "file-1"))
    markdown = render_markdown(report)
    assert "## Events: the last 1 of 1 messages" in markdown
    assert "4 events in all; the 3 metrics events are drawn in the curves." in markdown
