"""`ftstack report` against the emulator: the trained job's curves and its best checkpoint."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import openai
import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.reporting.curves import HEIGHT_PIXELS, WIDTH_PIXELS
from tests.evaluation.emulated_job import TrainedJob

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
