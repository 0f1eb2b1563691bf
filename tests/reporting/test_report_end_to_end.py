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
    assert f"best checkpoint by validation loss: step {best_step}" in " ".join(result.stdout.split())
    png = tmp_path / "curves.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = matplotlib.image.imread(png).shape
    assert (width, height) == (WIDTH_PIXELS, HEIGHT_PIXELS)
    markdown = (tmp_path / "report.md").read_text()
    assert f"**Best checkpoint by validation loss: step {best_step}**" in markdown
    assert "| Status | succeeded |" in markdown and "Steps logged | 108 in 3 epochs" in markdown


def test_an_unknown_job_is_one_clear_line_and_exit_2(job: TrainedJob, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--endpoint", job.url, "--job", "ftjob-nope", "--out", str(tmp_path), "--token", "t"]
    )
    assert result.exit_code == 2
    assert "--job ftjob-nope: no such fine-tuning job" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "curves.png").exists()
