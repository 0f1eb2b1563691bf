"""A preview writes nothing into the project: an experiment's subsets are computed in memory (their sha256
is what the preview plans with), and only a deployment writes the files the provider reads."""

from __future__ import annotations

import os
from pathlib import Path

from program_runs import JOB, make_project, stack_environment

from ftstack.fine_tuning.inputs import file_sha256
from ftstack.preview import ProgramRun, run_program

SUBSETS = ".ftstack/subsets/"


def everything_under(folder: Path) -> set[Path]:
    """Every file and folder under `folder`, not following the symlinked example data."""
    found: set[Path] = set()
    for parent, folders, files in os.walk(folder):
        found.update(Path(parent, name).relative_to(folder) for name in [*folders, *files])
    return found


def subset_jobs(run: ProgramRun) -> dict[str, dict[str, object]]:
    """The inputs of the jobs that train on a subset file, by resource name."""
    return {j.name: j.inputs for j in run.of_type(JOB) if str(j.inputs["training_file"]).startswith(SUBSETS)}


def test_a_preview_writes_no_subset_file_and_plans_the_sha256_the_deployment_writes(tmp_path: Path) -> None:
    project = make_project(tmp_path, "curve", stack_environment("dev"))
    before = everything_under(project)

    preview = run_program(project, "curve", preview=True)

    assert everything_under(project) == before
    planned = subset_jobs(preview)
    assert sorted(planned) == ["support-curve-n12", "support-curve-n24"]

    deployed = subset_jobs(run_program(project, "curve", preview=False))

    for name, inputs in planned.items():
        written = project / str(inputs["training_file"])
        assert written.is_file(), name
        assert inputs["training_file_sha256"] == file_sha256(written)
        assert deployed[name]["training_file_sha256"] == inputs["training_file_sha256"]
        assert deployed[name]["training_file"] == inputs["training_file"]
    assert not [p for p in (project / SUBSETS).iterdir() if p.suffix != ".jsonl"]  # no partial file left
