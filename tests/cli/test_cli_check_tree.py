"""`ftstack check` on a terminal: a tree with the verdict and the violations before the resources, and the
Markdown for pull requests with `--format markdown` (or when piped)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.check.check_projects import copy_project, edit_environment

FTSTACK = str(Path(sys.executable).with_name("ftstack"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose dev stack has an advisory violation (local keys enabled)."""
    folder = copy_project(tmp_path_factory.mktemp("check-tree") / "project")
    edit_environment(folder, "dev", lambda env: env["account"].update(disableLocalAuth=False))
    return folder


def _on_a_terminal(project: Path, *args: str) -> str:
    if shutil.which("script") is None:
        pytest.skip("no `script` to give the command a terminal")
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "xterm"}
    done = subprocess.run(
        ["script", "-qec", " ".join([FTSTACK, *args]), "/dev/null"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # The transient progress line on the terminal leaves cursor controls behind; the text is what counts.
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout.replace("\r\n", "\n"))
    return "\n".join(line.split("\r")[-1] for line in text.splitlines())


def test_on_a_terminal_check_shows_a_tree_with_the_violations_before_the_resources(project: Path) -> None:
    shown = _on_a_terminal(project, "check", "-s", "dev")
    lines = [line for line in shown.splitlines() if line.strip()]
    verdict = next(
        i for i, line in enumerate(lines) if line.startswith("dev: compliant, 1 advisory violation")
    )
    violation = next(i for i, line in enumerate(lines) if "identity-local-auth-disabled (advisory" in line)
    resources = next(i for i, line in enumerate(lines) if "resources (" in line)
    assert verdict < violation < resources
    assert "**" not in shown and "| Resource type |" not in shown  # not raw Markdown
    assert any("fix: " in line for line in lines[violation:resources])


def test_format_markdown_and_a_pipe_still_give_the_pull_request_markdown(project: Path) -> None:
    piped = subprocess.run(
        [FTSTACK, "check", "-s", "dev"], cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("### ✅ **dev**: compliant, 1 advisory violation")
    shown = _on_a_terminal(project, "check", "-s", "dev", "--format", "markdown")
    assert "| Resource type | Count | Names |" in shown


def test_check_json_is_the_same_as_format_json(project: Path) -> None:
    import json

    one = subprocess.run(
        [FTSTACK, "check", "-s", "dev", "--json"], cwd=project, capture_output=True, text=True
    )
    assert json.loads(one.stdout)["stack"] == "dev"
    assert [v["policy"] for v in json.loads(one.stdout)["violations"]] == ["identity-local-auth-disabled"]
