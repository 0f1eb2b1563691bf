"""`ftstack report` against the emulator: the trained job's curves and its best checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.image
import openai
import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.reporting.curves import HEIGHT_PIXELS, WIDTH_PIXELS
from tests.evaluation.emulated_job import TrainedJob

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUNNING_TIME_SCALE = 20  # the 108-step job logs its steps over about 13 s and ends some 20 s after it starts


def _lowest_validation_loss_step(job: TrainedJob) -> int:
    sdk = openai.AzureOpenAI(azure_endpoint=job.url, api_version="2025-04-01-preview", api_key="k")
    try:
        checkpoints = list(sdk.fine_tuning.jobs.checkpoints.list(job.job_id))
    finally:
        sdk.close()
    assert len(checkpoints) == 3
    best = min(checkpoints, key=lambda c: float(c.metrics.full_valid_loss or "inf"))
    return best.step_number


def test_the_report_draws_the_curves_and_marks_the_checkpoint_with_the_lowest_validation_loss(
    job: TrainedJob, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["report", "--endpoint", job.url, "--job", job.job_id, "--out", str(tmp_path), "--token", "t"]
    )
    assert result.exit_code == 0, result.stderr
    best_step = _lowest_validation_loss_step(job)
    assert f"best checkpoint by full validation loss: step {best_step}" in " ".join(result.stdout.split())
    png = tmp_path / "curves.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = matplotlib.image.imread(png).shape
    assert (width, height) == (WIDTH_PIXELS, HEIGHT_PIXELS)
    markdown = (tmp_path / "report.md").read_text()
    assert f"**Best checkpoint by full validation loss: step {best_step}**" in markdown
    assert "| Status | succeeded |" in markdown and "Steps logged | 108 of 108 in 3 epochs" in markdown


def test_an_unknown_job_is_one_clear_line_and_exit_2(job: TrainedJob, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--endpoint", job.url, "--job", "ftjob-nope", "--out", str(tmp_path), "--token", "t"]
    )
    assert result.exit_code == 2
    assert "--job ftjob-nope: no such fine-tuning job" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "curves.png").exists()


def test_the_report_reads_the_job_through_the_v1_endpoint_form(job: TrainedJob, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--endpoint",
            f"{job.url}/openai/v1",
            "--job",
            job.job_id,
            "--out",
            str(tmp_path),
            "--token",
            "t",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert f"job {job.job_id} succeeded" in result.stdout


def test_the_report_of_a_failed_job_exits_1_with_the_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from ftstack.emulator.faults import parse_fault_spec
    from ftstack.emulator.server import running_emulator
    from tests.evaluation.emulated_job import EXAMPLES, TIME_SCALE, _wait

    fault = parse_fault_spec("route=POST /fine_tuning/jobs,kind=job_fail,message=the data ran out")
    with running_emulator(region="swedencentral", time_scale=TIME_SCALE, faults=[fault]) as url:
        sdk = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="k")
        upload = sdk.files.create(
            file=("t.jsonl", (EXAMPLES / "training.jsonl").read_bytes()), purpose="fine-tune"
        )
        _wait(lambda: sdk.files.retrieve(upload.id).status == "processed")
        failed = sdk.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=upload.id)
        _wait(lambda: sdk.fine_tuning.jobs.retrieve(failed.id).status == "failed")
        sdk.close()
        done = subprocess.run(
            [str(Path(sys.executable).with_name("ftstack")), "report", "--endpoint", url, "--job", failed.id,
             "--out", str(tmp_path), "--token", "t"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"job {failed.id} failed" in done.stderr and "the data ran out" in done.stderr
    assert "best checkpoint" not in done.stdout
    assert "the data ran out" in (tmp_path / "report.md").read_text()


def test_the_terminal_and_the_summary_count_the_same_events_as_the_service(
    job: TrainedJob, tmp_path: Path
) -> None:
    import re

    sdk = openai.AzureOpenAI(azure_endpoint=job.url, api_version="2025-04-01-preview", api_key="k")
    try:
        served = [e.to_dict() for e in sdk.fine_tuning.jobs.list_events(job.job_id, limit=100)]
    finally:
        sdk.close()
    messages = [e for e in served if e.get("type", "message") != "metrics"]
    assert len(messages) < len(served)  # metrics events too, as Azure sends them
    result = CliRunner().invoke(
        app, ["report", "--endpoint", job.url, "--job", job.job_id, "--out", str(tmp_path), "--token", "t"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"{len(served)} events ({len(messages)} messages)" in result.stdout
    markdown = (tmp_path / "report.md").read_text()
    heading = re.search(r"## Events: the last (\d+) of (\d+) messages", markdown)
    assert heading is not None and int(heading[2]) == len(messages)
    assert int(heading[1]) == min(len(messages), 25)
    assert f"{len(served)} events in all; the {len(served) - len(messages)} metrics events" in markdown
    listed = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(listed) == int(heading[1])


def _picture_text(path: Path) -> str:
    """What a picture says in words (its PNG Description, made from the drawn axes and legends)."""
    from PIL import Image

    with Image.open(path) as png:
        return str(png.text["Description"])  # type: ignore[attr-defined]


def test_the_sentence_the_table_and_the_picture_give_each_loss_measure_one_name(
    job: TrainedJob, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["report", "--endpoint", job.url, "--job", job.job_id, "--out", str(tmp_path), "--token", "t"]
    )
    assert result.exit_code == 0, result.stderr
    best_step = _lowest_validation_loss_step(job)
    assert f"best checkpoint by full validation loss: step {best_step}" in " ".join(result.stdout.split())
    markdown = (tmp_path / "report.md").read_text()
    assert "| Training loss | Step validation loss | Full validation loss |" in markdown
    picture = _picture_text(tmp_path / "curves.png")
    assert "step validation loss (sampled each step)" in picture
    assert "full validation loss (epoch end)" in picture
    assert f"best checkpoint: step {best_step}, lowest full validation loss" in picture
    assert "still training" not in picture and "epoch 3" in picture


def test_a_running_job_is_reported_as_running_with_only_the_epochs_it_has_reached(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    from ftstack.emulator.server import running_emulator
    from tests.evaluation.emulated_job import BASE_MODEL, EXAMPLES, _wait

    with running_emulator(region="swedencentral", time_scale=RUNNING_TIME_SCALE) as url:
        sdk = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="k")
        try:
            files = [
                sdk.files.create(file=(name, (EXAMPLES / name).read_bytes()), purpose="fine-tune")
                for name in ("training.jsonl", "validation.jsonl")
            ]
            _wait(lambda: all(sdk.files.retrieve(f.id).status == "processed" for f in files))
            running = sdk.fine_tuning.jobs.create(
                model=BASE_MODEL, training_file=files[0].id, validation_file=files[1].id,
                hyperparameters={"n_epochs": 3}, extra_body={"trainingType": "Standard"},
            )  # fmt: skip

            def past_the_first_epoch() -> bool:
                metrics: list[dict[str, Any]] = [
                    dict(e.data or {})  # type: ignore[call-overload]
                    for e in sdk.fine_tuning.jobs.list_events(running.id, limit=100)
                    if e.type == "metrics"
                ]
                total = max((int(m.get("total_steps", 0)) for m in metrics), default=0)
                return total > 0 and max(int(m.get("step", 0)) for m in metrics) > total // 3

            _wait(past_the_first_epoch, deadline_seconds=120)
            done = subprocess.run(
                [str(Path(sys.executable).with_name("ftstack")), "report", "--endpoint", url, "--job", running.id,
                 "--out", str(tmp_path), "--token", "t"],
                capture_output=True, text=True, check=False, timeout=120,
            )  # fmt: skip
            still = sdk.fine_tuning.jobs.retrieve(running.id).status
        finally:
            sdk.close()
    assert still == "running"  # the report saw a job in flight
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"job {running.id} running:")
    markdown = (tmp_path / "report.md").read_text()
    logged = re.search(r"\| Steps logged \| (\d+) of (\d+) \(running\) in (\d+) epochs \|", markdown)
    assert logged is not None, markdown
    step, total, epochs = (int(g) for g in logged.groups())
    assert 0 < step <= total and epochs == step * 3 // total  # only the epoch ends it has reached
    picture = _picture_text(tmp_path / "curves.png")
    assert f"still training: step {step} of {total}" in picture
    assert f"epoch {epochs}" in picture and f"epoch {epochs + 1}" not in picture
