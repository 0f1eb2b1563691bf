"""`ftstack check --all`: every stack of the project against one policy-analyzer start, and the analyzer
starting while the program runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftstack.check import runner
from ftstack.check.pack_process import PackProcess
from ftstack.cli.app import app
from ftstack.config import stack_names
from tests.check.check_projects import ROOT, copy_project, edit_environment


def check(*args: str, project: Path = ROOT):
    return CliRunner().invoke(app, ["check", *args, "--project-dir", str(project)])


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> list[PackProcess]:
    """Every policy-pack process launched, in order."""
    launched: list[PackProcess] = []
    original = PackProcess.launch

    def counting(self: PackProcess) -> PackProcess:
        if self._process is None:
            launched.append(self)
        return original(self)

    monkeypatch.setattr(PackProcess, "launch", counting)
    return launched


def test_all_checks_every_stack_with_one_analyzer_start(launches: list[PackProcess]) -> None:
    result = check("--all", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    body = json.loads(result.stdout)
    assert [s["stack"] for s in body["stacks"]] == stack_names(ROOT)
    assert (body["errors"], body["compliant"]) == ([], True)
    assert len(launches) == 1


def test_all_applies_each_stacks_own_policy_levels(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    # The same finding: advisory in dev (enforcement advisory), mandatory in prod-us.
    for stack in ("dev", "prod-us"):
        edit_environment(project, stack, lambda env: env["account"].update(disableLocalAuth=False))
    result = check("--all", "--format", "json", project=project)
    assert result.exit_code == 1, result.stderr
    levels = {
        s["stack"]: {v["level"] for v in s["violations"] if v["policy"] == "identity-local-auth-disabled"}
        for s in json.loads(result.stdout)["stacks"]
    }
    assert levels == {"dev": {"advisory"}, "prod-eu": set(), "prod-us": {"mandatory"}}


def test_all_reports_a_stack_with_a_config_error_and_still_checks_the_others(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit_environment(project, "prod-eu", lambda env: env["account"].update(region="atlantis"))
    result = check("--all", "--format", "markdown", project=project)
    assert result.exit_code == 2
    assert "### ✅ **dev**: compliant" in result.stdout
    assert "### ✅ **prod-us**: compliant" in result.stdout
    assert "### ⚠️ **prod-eu**: configuration error (exit 2), not checked" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: prod-eu: stacks/Pulumi.prod-eu.yaml: ftstack:environment.account.region")


def test_all_with_a_stack_is_a_usage_error() -> None:
    result = check("--all", "--stack", "dev")
    assert result.exit_code == 2
    assert result.stderr == "error: --all checks every stack: leave out --stack\n"


def test_the_analyzer_is_already_starting_when_the_program_runs(
    monkeypatch: pytest.MonkeyPatch, launches: list[PackProcess]
) -> None:
    seen: list[bool] = []
    run_program = runner.run_program

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(len(launches) == 1 and launches[0]._process is not None)
        return run_program(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "run_program", watched)
    result = check("--stack", "prod-us", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert seen == [True]


def test_a_config_error_shown_in_the_comment_cannot_close_its_code_block() -> None:
    from ftstack.check.markdown import render_config_error

    shown = render_config_error("dev", ["stacks/Pulumi.dev.yaml: name: '```' is not allowed"])
    fence = shown.splitlines()[2]
    assert fence == "````" and shown.rstrip("\n").endswith(fence)
