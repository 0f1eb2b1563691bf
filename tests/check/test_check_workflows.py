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
    assert verdict["if"] == "steps.check.outputs.exit-code != '0'" and "exit 1" in verdict["run"]


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
    workflow = load(DEPLOY)
    assert workflow["on"]["push"]["branches"] == ["main"]
    dev, production = workflow["jobs"]["dev"], workflow["jobs"]["production"]
    assert dev["environment"] == "dev"
    assert production["needs"] == "dev"
    assert production["environment"] == "${{ matrix.stack }}"
    deployed = ["dev", *production["strategy"]["matrix"]["stack"]]
    assert sorted(deployed) == stack_names(ROOT)
    assert all(stack.startswith("prod") for stack in production["strategy"]["matrix"]["stack"])
    for job in (dev, production):
        pulumi = steps_using(job, "pulumi/actions")[0]["with"]
        assert pulumi["command"] == "up" and pulumi["policyPacks"] == "policies"
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["concurrency"]["cancel-in-progress"] is False
        assert "ftstack policy-config --stack" in scripts(job)


@pytest.mark.parametrize("path", [PULL_REQUEST, DEPLOY], ids=lambda p: p.name)
def test_workflows_grant_only_read_access_by_default(path):
    assert load(path)["permissions"] == {"contents": "read"}
