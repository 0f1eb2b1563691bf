"""An experiment run on the emulator: its report collects the points, scores them on the holdout, draws the
pictures and recommends a point."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from components.fine_tuning_job import FineTuningJobArgs, FineTuningJobProvider, provider_inputs
from ftstack.config.schema import JobConfig
from ftstack.emulator.server import running_emulator
from ftstack.experiments.expansion import expand, job_on_subset
from ftstack.experiments.report import build_report
from ftstack.experiments.subsets import count_examples
from ftstack.fine_tuning.client import TOKEN_ENV, open_client

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
FTSTACK = str(Path(sys.executable).with_name("ftstack"))
REGION = "francecentral"
HOLDOUT = str(ROOT / "examples/support-chat/holdout.jsonl")


def _job(experiment: dict[str, Any]) -> JobConfig:
    return JobConfig.model_validate(
        {"name": "bot", "baseModel": "gpt-4.1-mini", "version": "2025-04-14", "trainingType": "global",
         "trainingFile": "examples/support-chat/training.jsonl",
         "validationFile": "examples/support-chat/validation.jsonl", "seed": 3, "suffix": "bot",
         "method": {"hyperparameters": {"batchSize": 4}}, "experiment": experiment}
    )  # fmt: skip


def _run_points(job: JobConfig, url: str) -> None:
    provider = FineTuningJobProvider()
    for point in expand(job, count_examples(ROOT / job.training_file)):
        args = FineTuningJobArgs.from_job_config(job_on_subset(point, ROOT), endpoint=url, region=REGION)
        args = dataclasses.replace(
            args,
            training_file=str(ROOT / args.training_file),
            validation_file=str(ROOT / str(args.validation_file)),
        )
        checked = provider.check({}, provider_inputs(point.name, args))
        assert not checked.failures
        assert (provider.create(checked.inputs).outs or {})["status"] == "succeeded"


def _project(tmp_path: Path, job: JobConfig) -> Path:
    """A project whose one stack, `t`, declares `job` on an account in REGION."""
    import yaml

    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    shutil.copytree(ROOT / "examples", project / "examples")  # a link outside the project is refused
    env = {
        "name": "t",
        "account": {"name": "acct", "region": REGION, "resourceGroup": {"name": "rg"}},
        "fineTuning": {"jobs": [job.model_dump(by_alias=True, exclude_none=True)]},
    }
    (project / "stacks" / "Pulumi.t.yaml").write_text(
        yaml.safe_dump({"config": {"ftstack:environment": env}})
    )
    return project


def _report(
    tmp_path: Path, job: JobConfig, url: str, out: Path, *more: str
) -> subprocess.CompletedProcess[str]:
    """`ftstack experiment report` of `job`'s experiment, in a project whose one stack declares it."""
    project = _project(tmp_path, job)
    return subprocess.run(
        [FTSTACK, "experiment", "report", "--stack", "t", "--experiment", str(job.experiment_name),
         "--endpoint", url, "--out", str(out), *more],
        cwd=project, capture_output=True, text=True, check=False, env={**os.environ, "FTSTACK_TOKEN": "t"},
    )  # fmt: skip


def _picture_text(path: Path) -> str:
    """What a picture says in words (its PNG Description, made from the drawn axes and legends)."""
    with Image.open(path) as png:
        assert png.format == "PNG"
        return str(png.text["Description"])  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    os.environ.setdefault(TOKEN_ENV, "test-token")
    with running_emulator(region=REGION, time_scale=3000) as url:
        yield url


@pytest.fixture(scope="module")
def subset_experiment(emulator: str) -> JobConfig:
    job = _job({"name": "curve", "subsets": [12, 24, 1.0]})
    _run_points(job, emulator)
    return job


def test_the_simulated_loss_falls_with_more_data(
    subset_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    with open_client(emulator) as client:
        report = build_report(subset_experiment, ROOT, client.list_jobs(), client.list_checkpoints, tmp_path)
    losses = [r.valid_loss for r in report.results]
    assert [r.point.values["examples"] for r in report.results] == [12, 24, 36]
    assert all(loss is not None for loss in losses)
    assert losses[0] > losses[1] > losses[2]  # type: ignore[operator]
    assert report.best is not None and report.best.point.name == "bot-n36"
    assert "lowest final validation loss" in report.best_reason


def test_the_report_command_scores_points_draws_the_learning_curve_and_recommends(
    subset_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _report(tmp_path, subset_experiment, emulator, out, "--data", HOLDOUT)
    assert result.returncode == 0, result.stderr
    with Image.open(out / "learning_curve.png") as picture:
        assert picture.format == "PNG"
        assert picture.size == (900, 550)
    scores = json.loads((out / "scores.json").read_text())
    by_point = {p["point"]: p["score"] for p in scores["points"]}
    assert by_point["bot-n12"] < by_point["bot-n36"]
    assert scores["best"]["point"] == max(by_point, key=lambda name: by_point[name])
    assert "more data is likely to help" in scores["recommendation"]
    assert "![learning_curve](learning_curve.png)" in (out / "report.md").read_text()


def test_a_sweep_report_compares_its_points_in_a_picture(emulator: str, tmp_path: Path) -> None:
    job = _job({"name": "epochs", "sweep": {"nEpochs": [1, 4]}})
    _run_points(job, emulator)
    with open_client(emulator) as client:
        report = build_report(job, ROOT, client.list_jobs(), client.list_checkpoints, tmp_path)
    assert [r.point.tag for r in report.results] == ["e1", "e4"]
    assert {r.status for r in report.results} == {"succeeded"}
    with Image.open(tmp_path / "sweep.png") as picture:
        assert picture.format == "PNG"
    assert report.best is not None
    assert report.best.valid_loss == min(r.valid_loss for r in report.results if r.valid_loss is not None)


def test_reporting_an_unknown_experiment_is_a_usage_error() -> None:
    result = subprocess.run(
        [FTSTACK, "experiment", "report", "--stack", "dev", "--experiment", "nope", "--out", "x"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no experiment 'nope' in this stack; experiments: support-curve" in result.stderr


def test_an_out_folder_that_cannot_be_created_is_refused_before_any_request(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = subprocess.run(
        [FTSTACK, "experiment", "report", "--stack", "dev", "--experiment", "support-curve",
         "--endpoint", "http://127.0.0.1:1", "--token", "t", "--out", str(blocker / "report")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--out" in result.stderr and "cannot create the folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_zero_time_scale_is_a_usage_error_not_a_crash() -> None:
    result = subprocess.run(
        [FTSTACK, "experiment", "plan", "--stack", "dev", "--time-scale", "0"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_two_dimension_sweep_names_its_metric_and_explains_a_tie(tmp_path: Path) -> None:
    from ftstack.experiments.report import tie_note
    from ftstack.experiments.results import PointResult

    job = _job({"name": "grid", "sweep": {"nEpochs": [1, 4], "learningRateMultiplier": [0.5, 1.0]}})
    points = expand(job, 36)
    results = [
        PointResult(p, job_id=f"j{i}", status="succeeded", fine_tuned_model=f"m{i}", valid_loss=1.0 - 0.1 * i)
        for i, p in enumerate(points)
    ]
    results[1].score = results[3].score = 0.8
    results[0].score = results[2].score = 0.5
    report = build_report(job, ROOT, [], lambda _: [], tmp_path, metric="ngram_similarity")
    assert report.best is None  # nothing found on the service: no picture claims a best point
    best = max(results, key=lambda r: (r.score or 0.0, -(r.valid_loss or 0.0)))
    note = tie_note(results, best, "best_score")
    assert note is not None and f"`{best.point.tag}` ties with `{results[1].point.tag}`" in note
    assert "lower final validation loss breaks a tie" in note

    from ftstack.experiments.charts import sweep_comparison

    with Image.open(
        sweep_comparison(results, best, tmp_path / "sweep.png", "grid", "best_score", "exact")
    ) as png:
        width, _ = png.size
    assert width >= 2 * 450  # one panel per swept dimension
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["metric"] == "final validation loss" and scores["criterion"] == "best_validation_loss"


@pytest.fixture(scope="module")
def grid_experiment(emulator: str) -> JobConfig:
    job = _job({"name": "grid", "sweep": {"nEpochs": [1, 4], "learningRateMultiplier": [0.5, 1.0]}})
    _run_points(job, emulator)
    return job


def test_a_scored_sweep_draws_a_panel_per_dimension_with_intervals_and_marks_the_best_score(
    grid_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _report(tmp_path, grid_experiment, emulator, out, "--data", HOLDOUT)
    assert result.returncode == 0, result.stderr
    scores = json.loads((out / "scores.json").read_text())
    assert scores["criterion"] == "best_score" and scores["metric"] == "ngram_similarity"
    for point in scores["points"]:
        assert point["interval"]["low"] <= round(point["score"], 4) <= point["interval"]["high"]
    best_tag = next(p["tag"] for p in scores["points"] if p["point"] == scores["best"]["point"])
    picture = _picture_text(out / "sweep.png")
    assert "x: epochs" in picture and "x: learning rate multiplier" in picture  # one panel per dimension
    assert picture.count("y: holdout score: ngram_similarity (higher is better)") == 2
    assert "one point with its 95% CI (bootstrap over the holdout examples)" in picture
    assert f"best: {best_tag} (highest holdout score (ngram_similarity))" in picture
    assert "best point chosen by highest holdout score (ngram_similarity)" in picture
    # The emulator's fine-tuned models answer the holdout alike: the scores tie, and the picture, the report
    # and the terminal say who won the tie and why.
    tie = scores["best"]["ties"]
    assert "the lower final validation loss breaks a tie in score" in tie
    assert f"ties: {tie.replace('`', '')}" in picture and f"Ties: {tie.replace('`', '')}" in result.stdout
    assert f"**Ties:** {tie}" in (out / "report.md").read_text()
    top = max(round(p["score"], 4) for p in scores["points"])
    tied = [p for p in scores["points"] if round(p["score"], 4) == top]
    assert len(tied) > 1
    assert best_tag == min(tied, key=lambda p: p["valid_loss"])["tag"]
    assert "holdout score (ngram_similarity) [95% CI]" in (out / "report.md").read_text()


def test_an_unscored_sweep_marks_the_lowest_loss_and_says_a_loss_has_no_interval(
    grid_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _report(tmp_path, grid_experiment, emulator, out)
    assert result.returncode == 0, result.stderr
    scores = json.loads((out / "scores.json").read_text())
    best = next(p for p in scores["points"] if p["point"] == scores["best"]["point"])
    assert best["valid_loss"] == min(p["valid_loss"] for p in scores["points"])
    picture = _picture_text(out / "sweep.png")
    assert picture.count("y: final validation loss (lower is better)") == 2
    assert "one point (the service reports no interval for a validation loss)" in picture
    assert f"best: {best['tag']} (lowest final validation loss)" in picture
    assert "holdout score" not in picture


def test_the_learning_curve_names_its_measures_and_marks_the_best_by_score(
    subset_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _report(tmp_path, subset_experiment, emulator, out, "--data", HOLDOUT)
    assert result.returncode == 0, result.stderr
    best = json.loads((out / "scores.json").read_text())["best"]["point"].removeprefix("bot-")
    picture = _picture_text(out / "learning_curve.png")
    assert "x: training examples (log scale)" in picture
    assert "y: final validation loss (lower is better)" in picture
    assert "y: holdout score: ngram_similarity (higher is better)" in picture
    assert f"best: {best} (highest holdout score (ngram_similarity))" in picture
    assert "score: one point with its 95% CI" in picture


def test_a_learning_curve_over_a_sweep_draws_one_mean_per_size_with_the_spread_as_a_band(
    emulator: str, tmp_path: Path
) -> None:
    job = _job({"name": "both", "subsets": [12, 1.0], "sweep": {"nEpochs": [1, 4]}})
    _run_points(job, emulator)
    out = tmp_path / "out"
    result = _report(tmp_path, job, emulator, out)
    assert result.returncode == 0, result.stderr
    curve = _picture_text(out / "learning_curve.png")
    assert "final validation loss (mean per size)" in curve
    assert (
        "loss: range over the other settings" in curve
    )  # two epoch settings per size: a band, not a zig-zag
    sweep = _picture_text(out / "sweep.png")
    assert "x: epochs" in sweep and "x: training examples" in sweep  # subsets are a dimension of the sweep


def test_on_a_terminal_experiment_report_shows_what_it_is_doing(
    grid_experiment: JobConfig, emulator: str, tmp_path: Path
) -> None:
    import re

    from tests.cli.terminal import on_a_terminal

    project = _project(tmp_path, grid_experiment)
    shown = on_a_terminal(
        "experiment", "report", "-s", "t", "--experiment", "grid", "--endpoint", emulator, "--data", HOLDOUT,
        "--out", str(tmp_path / "out"), cwd=project, columns=160, env={"FTSTACK_TOKEN": "t"},
    )  # fmt: skip
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert re.search(r"reading the jobs of grid\W+\d/4", plain)
    scoring = re.findall(r"scor(?:ing|ed) (\S+) on the holdout\W+(\d)/4", plain)
    assert {count for _, count in scoring} == {"0", "1", "2", "3", "4"}  # the bar moves point by point
    assert {tag for tag, _ in scoring} == {"e1-lr0p5", "e1-lr1", "e4-lr0p5", "e4-lr1"}
    assert "Experiment grid: 4 points" in plain
