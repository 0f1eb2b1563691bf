"""The GitHub workflows: valid against the workflow schema, and doing what reviewers and compliance rely on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import stack_names
from tests.check.check_projects import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run([*command, *map(str, files)], capture_output=True, text=True, check=False)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_every_workflow_file_is_valid_against_the_github_workflow_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pull-request.yml", "deploy.yml"}
    result = schema_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  check:\n    steps:\n      - run: make test\n")  # no runs-on
    assert schema_check(broken).returncode != 0


def test_pull_requests_get_tests_and_a_check_of_every_stack_in_one_updated_comment():
    workflow = load(PULL_REQUEST)
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["check"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "id-token" not in job["permissions"], "the check needs no credentials"
    script = scripts(job)
    assert "make test" in script
    assert "for file in stacks/Pulumi.*.yaml" in script
    assert 'ftstack check --stack "$stack" --format markdown' in script
    comment = steps_using(job, "actions/github-script")[0]["with"]["script"]
    assert "<!-- ftstack-check -->" in script and "<!-- ftstack-check -->" in comment
    assert "updateComment" in comment and "createComment" in comment
    verdict = job["steps"][-1]
    assert verdict["if"] == "steps.check.outputs.exit-code != '0'" and 'exit "$code"' in verdict["run"]


FAKE_FTSTACK = """#!/bin/sh
# $3 is the stack: each fake stack answers as its name says.
case "$3" in
  clean) echo '### ✅ **clean**: compliant, no violations; 3 resources'; exit 0 ;;
  breach) echo '### ❌ **breach**: not compliant, 1 mandatory violation; 3 resources'; exit 1 ;;
  badconfig) echo 'error: stacks/Pulumi.badconfig.yaml: name: required key is missing' >&2; exit 2 ;;
  crash) echo 'Traceback (most recent call last): ZeroDivisionError' >&2; exit 1 ;;
esac
"""


def run_check_step(tmp_path: Path, stacks: list[str]) -> tuple[str, str]:
    """The workflow's check and verdict steps, run against a fake `ftstack`: (comment, verdict exit code)."""
    job = load(PULL_REQUEST)["jobs"]["check"]
    step = next(s for s in job["steps"] if s.get("id") == "check")
    (tmp_path / "stacks").mkdir()
    for stack in stacks:
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    fake = tmp_path / ".venv" / "bin" / "ftstack"
    fake.parent.mkdir(parents=True)
    fake.write_text(FAKE_FTSTACK)
    fake.chmod(0o755)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
    code = outputs.read_text().strip().removeprefix("exit-code=")
    verdict = job["steps"][-1]["run"].replace("${{ steps.check.outputs.exit-code }}", code)
    done = subprocess.run(["bash", "-c", verdict], capture_output=True, text=True, check=False)
    assert str(done.returncode) == code
    return (tmp_path / "check-report.md").read_text(), code + "|" + done.stdout


def test_a_policy_violation_fails_the_pull_request_with_exit_1_and_says_so(tmp_path):
    comment, verdict = run_check_step(tmp_path, ["clean", "breach"])
    assert verdict.startswith("1|") and "a mandatory policy is violated" in verdict
    assert "### ❌ **breach**" in comment and "**Verdict: policy violation (exit 1)**" in comment


@pytest.mark.parametrize(
    ("stack", "heading"),
    [
        ("badconfig", "### ⚠️ **badconfig**: configuration error (exit 2), not checked"),
        (
            "crash",
            "### 💥 **crash**: ftstack check crashed (exit 1), not checked; this is not a policy verdict",
        ),
    ],
)
def test_a_config_error_or_a_crash_is_exit_2_and_never_reads_as_a_policy_violation(tmp_path, stack, heading):
    comment, verdict = run_check_step(tmp_path, ["breach", stack])
    assert verdict.startswith("2|") and "this is not a policy verdict" in verdict
    assert heading in comment and "**Verdict: error (exit 2)**" in comment


def test_the_preview_runs_the_policy_pack_with_the_generated_config_for_every_stack():
    job = load(PULL_REQUEST)["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == stack_names(ROOT)
    assert job["permissions"]["id-token"] == "write"
    assert "vars.AZURE_CLIENT_ID" in job["if"]
    assert "ftstack policy-config --stack ${{ matrix.stack }} --out policy-config.json" in scripts(job)
    pulumi = steps_using(job, "pulumi/actions")[0]["with"]
    assert pulumi["command"] == "preview"
    assert pulumi["policyPacks"] == "policies" and pulumi["policyPackConfigs"] == "policy-config.json"


def test_merges_deploy_dev_first_and_production_only_through_approved_environments():
    from ftstack.config.runner_placement import deploy_matrix

    workflow = load(DEPLOY)
    assert workflow["on"]["push"]["branches"] == ["main"]
    dev, production = workflow["jobs"]["dev"], workflow["jobs"]["production"]
    assert production["needs"] == ["plan", "dev"]
    # The stacks of each group come from their config (`production: true`), in the plan job.
    matrix = deploy_matrix(ROOT)
    deployed = [e["stack"] for e in matrix["dev"] + matrix["production"]]
    assert sorted(deployed) == stack_names(ROOT)
    assert all(str(e["stack"]).startswith("prod") for e in matrix["production"])
    for job in (dev, production):
        assert job["environment"] == "${{ matrix.stack }}"
        assert job["strategy"]["matrix"]["include"].startswith("${{ fromJSON(needs.plan.outputs.")
        assert "--policy-pack policies" in scripts(job) and "pulumi up " in scripts(job)
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["concurrency"]["cancel-in-progress"] is False
        assert "ftstack policy-config --stack" in scripts(job)


@pytest.mark.parametrize("path", [PULL_REQUEST, DEPLOY], ids=lambda p: p.name)
def test_workflows_grant_only_read_access_by_default(path):
    # deploy.yml grants nothing at the top; each job asks for what it needs (tests/ci/test_workflows_lint.py).
    assert load(path)["permissions"] in ({"contents": "read"}, {})
