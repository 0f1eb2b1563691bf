"""The README's walk-through "train, deploy, evaluate, report" on the local Azure, run as written: the
commands are copied out of README.md at test time, so a README that drifts from the CLI fails here."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.engine_harness import ROOT, engine_unavailable, ftstack_local, local_env, local_project

MARKER = "<!-- walkthrough:"
WALKTHROUGH_TIMEOUT_SECONDS = 900

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")


def readme_walkthrough() -> str:
    """The bash block that follows the walk-through marker in README.md, verbatim."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    match = re.search(r"```bash\n(.*?)```", after, re.DOTALL)
    assert match is not None, "README.md: no bash block after the walk-through marker"
    return match.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = local_project(tmp_path_factory.mktemp("walkthrough") / "project")
    (folder / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    yield folder
    ftstack_local(folder, "destroy", "--stack", "dev")
    ftstack_local(folder, "stop")


def test_the_readme_walkthrough_trains_deploys_evaluates_and_reports_as_written(project: Path) -> None:
    script = readme_walkthrough()
    assert "ftstack local up -s dev" in script
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=project,
        env=local_env(),
        capture_output=True,
        text=True,
        timeout=WALKTHROUGH_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    outputs = json.loads((project / "outputs.json").read_text(encoding="utf-8"))
    assert set(outputs["deploymentNames"]) == {"support-bot-dev", "support-curve-best"}
    assert "job ftjob-" in done.stdout and "succeeded" in done.stdout  # the followed job ended well
    results = json.loads((project / "evaluation" / "results.json").read_text(encoding="utf-8"))
    assert results["scored_examples"] > 0  # both deployments answered the holdout
    report = (project / "report" / "report.md").read_text(encoding="utf-8")
    assert "| Status | succeeded |" in report and "Best checkpoint by" in report
    assert (project / "report" / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert str(project) not in report  # no absolute paths in the report


def test_the_walkthroughs_output_folders_are_git_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    for folder in ("/evaluation/", "/report/", "/outputs.json"):
        assert folder in ignored
