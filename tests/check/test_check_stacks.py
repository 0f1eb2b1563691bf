"""`ftstack check` and `ftstack policy-config` on the example stacks, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftstack.check.analyzer import Analyzer
from ftstack.check.policy_settings import POLICY_NAMES
from ftstack.cli.app import app
from ftstack.config import stack_names
from tests.check.check_projects import ROOT, copy_project, edit_environment


def check(*args: str, project: Path = ROOT):
    return CliRunner().invoke(app, ["check", *args, "--project-dir", str(project)])


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_example_stack_is_compliant(stack):
    result = check("--stack", stack, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["stack"] == stack and report["compliant"] is True
    assert [v for v in report["violations"] if v["level"] == "mandatory"] == []
    types = {r["type"] for r in report["resources"]}
    assert "azure-native:cognitiveservices:Account" in types
    assert "pulumi-python:dynamic/ftstack:FineTuningJob" in types
    for resource in report["resources"]:
        assert set(resource) == {"type", "name", "properties"}


def test_the_markdown_report_has_a_summary_line_and_a_table_of_resources_by_type():
    result = check("--stack", "prod-us", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### ✅ **prod-us**: compliant, no violations;")
    assert "| Resource type | Count | Names |" in lines
    assert any(line.startswith("| `azure-native:cognitiveservices:Deployment` | 2 |") for line in lines)


def test_an_advisory_violation_is_reported_but_does_not_fail_the_check(tmp_path):
    project = copy_project(tmp_path / "project")
    edit_environment(project, "dev", lambda env: env["account"].update(disableLocalAuth=False))
    result = check("--stack", "dev", "--format", "markdown", project=project)
    assert result.exit_code == 0, result.stderr
    assert "compliant, 1 advisory violation" in result.stdout
    assert "**`identity-local-auth-disabled`** (advisory, high severity)" in result.stdout
    assert "_Remediation:_ Set disableLocalAuth to true" in result.stdout


def test_jobs_the_deploy_runner_cannot_reach_are_warned_about(tmp_path):
    project = copy_project(tmp_path / "project")
    edit_environment(project, "prod-eu", lambda env: env["network"].update(runnerAccess="none"))
    result = check("--stack", "prod-eu", "--format", "json", project=project)
    assert result.exit_code == 0, result.stderr
    warnings = [w for w in json.loads(result.stdout)["warnings"] if "network.runnerAccess is none" in w]
    assert len(warnings) == 1 and warnings[0].startswith("1 fine-tuning job(s) declared")


def test_an_unknown_policy_in_the_stack_levels_is_a_config_error(tmp_path):
    project = copy_project(tmp_path / "project")
    edit_environment(
        project, "prod-eu", lambda env: env["residency"].update(policyLevels={"no-public": "advisory"})
    )
    result = check("--stack", "prod-eu", project=project)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: stacks/Pulumi.prod-eu.yaml: ftstack:environment.residency.policyLevels.no-public: 'no-public' is not "
        f"a policy of the pack; policies: {', '.join(POLICY_NAMES)}"
    ]


def test_an_unknown_stack_is_a_config_error_naming_the_stacks_that_exist():
    result = check("--stack", "staging")
    assert result.exit_code == 2
    assert "no stacks/Pulumi.staging.yaml" in result.stderr and "dev, prod-eu, prod-us" in result.stderr


def test_the_generated_policy_config_is_what_the_analyzer_accepts(tmp_path):
    out = tmp_path / "prod-eu.json"
    result = CliRunner().invoke(
        app, ["policy-config", "--stack", "prod-eu", "--project-dir", str(ROOT), "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    config = json.loads(out.read_text())
    assert config["all"] == "mandatory"
    assert config["residency-training-type"] == {
        "enforcementLevel": "mandatory",
        "allowedGeographies": ["EU"],
        "allowGlobalTraining": False,
    }
    with Analyzer(ROOT / "policies", python_path=[ROOT]) as analyzer:
        reconciled = analyzer.configure(config)
    assert reconciled["deployment-capacity"] == ("mandatory", {"maxCapacity": 50})


def test_a_justified_capability_override_passes_and_is_shown_in_the_report(tmp_path):
    override = {
        "model": "gpt-4o-mini",
        "version": "2024-07-18",
        "region": "francecentral",
        "training": "standard",
        "justification": "regional capacity confirmed for our subscription by Microsoft support",
    }

    def train_in_france(env):
        env["account"]["region"] = "francecentral"
        env["capabilityOverrides"] = [override]
        env["deployments"] = []

    project = copy_project(tmp_path / "project")
    edit_environment(project, "prod-eu", train_in_france)
    result = check("--stack", "prod-eu", "--format", "json", project=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["capabilityOverrides"] == [override]
    assert [v["policy"] for v in report["violations"]] == []
