"""An experiment expands into readable, deterministic points, validated before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ftstack.config import ConfigError, parse_environment
from ftstack.config.schema import JobConfig
from ftstack.experiments.expansion import expand, expansion_problems
from ftstack.experiments.planning import plan_experiment
from ftstack.experiments.subsets import count_examples, plan_subset, subset_indices, write_subset
from ftstack.fine_tuning.inputs import file_sha256

ROOT = Path(__file__).resolve().parents[2]
TRAINING = "examples/support-chat/training.jsonl"


def _job(**experiment: Any) -> JobConfig:
    return JobConfig.model_validate(
        {
            "name": "bot",
            "baseModel": "gpt-4.1-mini",
            "trainingFile": TRAINING,
            "suffix": "bot",
            "seed": 1,
            "experiment": experiment,
        }
    )


def test_subsets_and_sweep_expand_to_their_cross_product_with_readable_names() -> None:
    points = expand(_job(subsets=[0.5, 1.0], sweep={"nEpochs": [1, 3], "learningRateMultiplier": [0.5]}), 36)
    assert [p.name for p in points] == [
        "bot-n18-e1-lr0p5",
        "bot-n18-e3-lr0p5",
        "bot-n36-e1-lr0p5",
        "bot-n36-e3-lr0p5",
    ]
    assert points[1].job.method.hyperparameters.n_epochs == 3
    assert points[1].job.method.hyperparameters.learning_rate_multiplier == 0.5
    assert points[1].suffix == "bot-n18-e3-lr0p5"


def test_fractions_and_counts_both_name_subset_sizes() -> None:
    assert [p.subset_size for p in expand(_job(subsets=[12, 0.5, 1.0]), 36)] == [12, 18, 36]


def test_a_seed_sweep_sets_the_jobs_seed() -> None:
    points = expand(_job(sweep={"seed": [7, 8]}), 36)
    assert [(p.name, p.job.seed) for p in points] == [("bot-s7", 7), ("bot-s8", 8)]
    assert all(p.subset_size is None for p in points)


def test_suffixes_stay_within_azures_40_characters() -> None:
    job = _job(sweep={"learningRateMultiplier": [0.05, 0.1]}).model_copy(update={"suffix": "s" * 40})
    assert all(len(p.suffix) <= 40 for p in expand(job, 36))


def test_subsets_are_nested_and_deterministic() -> None:
    small, large = subset_indices(100, 10, seed=3), subset_indices(100, 40, seed=3)
    assert set(small) <= set(large)
    assert subset_indices(100, 40, seed=3) == large
    assert subset_indices(100, 40, seed=4) != large


def test_subset_files_hold_the_chosen_examples_and_are_reused(tmp_path: Path) -> None:
    source = ROOT / TRAINING
    path = write_subset(source, 12, seed=0, out_dir=tmp_path)
    assert count_examples(path) == 12
    assert write_subset(source, 12, seed=0, out_dir=tmp_path) == path
    bigger = write_subset(source, 24, seed=0, out_dir=tmp_path)
    small_lines = set(path.read_bytes().removeprefix(b"\xef\xbb\xbf").splitlines())
    assert small_lines <= set(bigger.read_bytes().removeprefix(b"\xef\xbb\xbf").splitlines())


def test_a_planned_subset_writes_nothing_and_has_the_sha256_of_the_file_it_writes(tmp_path: Path) -> None:
    out_dir = tmp_path / "subsets"
    planned = plan_subset(ROOT / TRAINING, 12, seed=0, out_dir=out_dir)
    assert not out_dir.exists()
    written = planned.write()
    assert written == planned.path == write_subset(ROOT / TRAINING, 12, seed=0, out_dir=out_dir)
    assert file_sha256(written) == planned.sha256
    assert [p.name for p in out_dir.iterdir()] == [written.name]  # the partial file was renamed into place


def test_a_subset_below_the_services_minimum_is_refused_with_its_key_path() -> None:
    problems = expansion_problems(_job(subsets=[0.1, 1.0]), 0, 36, min_examples=10)
    assert [p.render() for p in problems] == [
        "ftstack:environment.fineTuning.jobs[0].experiment.subsets[0]: 0.1 of 36 examples is 4: a fine-tuning "
        "job needs at least 10 training examples"
    ]


def test_a_subset_larger_than_the_file_is_refused() -> None:
    problems = expansion_problems(_job(subsets=[50]), 0, 36, min_examples=10)
    assert "only 36 examples" in problems[0].message


def test_more_points_than_the_cap_are_refused() -> None:
    job = _job(sweep={"nEpochs": [1, 2, 3], "batchSize": [1, 2, 4, 8, 16]}, maxPoints=12)
    problems = expansion_problems(job, 0, 36, min_examples=10)
    assert "expands to 15 jobs, more than maxPoints (12)" in problems[0].message


def test_an_experiment_without_subsets_or_sweep_is_refused() -> None:
    with pytest.raises(ValueError, match="needs subsets, a sweep, or both"):
        _job()


def _environment(subsets: list[float], deployments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    job = {"name": "bot", "baseModel": "gpt-4.1-mini", "trainingType": "global", "trainingFile": TRAINING,
           "experiment": {"subsets": subsets}}  # fmt: skip
    return {
        "name": "t",
        "account": {"name": "a", "region": "francecentral", "resourceGroup": {"name": "rg"}},
        "fineTuning": {"jobs": [job]},
        "deployments": deployments or [],
    }


def test_stack_validation_reports_expansion_problems() -> None:
    with pytest.raises(ConfigError, match=r"jobs\[0\].experiment.subsets\[0\]"):
        parse_environment(_environment([0.1, 1.0]), project_dir=ROOT)


def test_a_deployment_must_select_an_experiment_by_its_best_point() -> None:
    raw = _environment([0.5, 1.0], [{"name": "dep", "model": {"job": "bot"}, "sku": "GlobalStandard"}])
    with pytest.raises(ConfigError, match="is an experiment; select its best point with experiment: bot"):
        parse_environment(raw, project_dir=ROOT)
    raw["deployments"] = [
        {
            "name": "dep",
            "model": {"experiment": "bot", "select": "best_validation_loss"},
            "sku": "GlobalStandard",
        }
    ]
    assert parse_environment(raw, project_dir=ROOT).deployments[0].model.experiment == "bot"


def test_the_plan_states_queue_limits_drain_time_and_billed_tokens() -> None:
    plan = plan_experiment(_job(subsets=[0.5, 1.0], sweep={"nEpochs": [2]}), ROOT, "francecentral")
    assert [p.examples for p in plan.points] == [18, 36]
    assert plan.points[1].billed_tokens == plan.file_tokens * 2
    assert plan.total_billed_tokens == sum(p.billed_tokens for p in plan.points)
    assert "1 runs at a time by default and at most 20 wait in the queue" in plan.notes[0]
    assert "on the emulator at --time-scale 600" in plan.notes[-1]


def test_more_jobs_than_a_resource_accepts_at_once_are_called_out() -> None:
    job = _job(sweep={"seed": list(range(22))}, maxPoints=30)
    plan = plan_experiment(job, ROOT, "francecentral")
    assert any("22 jobs exceed what one resource accepts at once" in n for n in plan.notes)


def test_every_point_suffix_is_one_the_service_accepts() -> None:
    from ftstack.fine_tuning.inputs import SUFFIX_PATTERN

    job = _job(sweep={"learningRateMultiplier": [0.5, 1.0, 1e-05], "nEpochs": [2, 4]})
    suffixes = [p.suffix for p in expand(job, 36)]
    assert suffixes and all(SUFFIX_PATTERN.match(s) for s in suffixes), suffixes
