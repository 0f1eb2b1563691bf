"""`ftstack check` on changed copies of the example stacks: each breach is reported under its policy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from tests.check.check_projects import Environment, copy_project, mutated

HAND_WRITTEN = Path(__file__).resolve().parent / "hand_written_program.py"


def mandatory_violations(project: Path, stack: str) -> list[dict]:
    result = CliRunner().invoke(
        app, ["check", "--stack", stack, "--format", "json", "--project-dir", str(project)]
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["compliant"] is False
    return [v for v in report["violations"] if v["level"] == "mandatory"]


def global_training(env: Environment) -> None:
    # A model and region where global training exists, so only residency can refuse it.
    env["account"]["region"] = "francecentral"
    env["fineTuning"]["jobs"][0].update(baseModel="gpt-4.1-mini", version="2025-04-14", trainingType="global")
    env["deployments"] = []


def global_standard_deployment(env: Environment) -> None:
    env["deployments"][0]["sku"] = "GlobalStandard"


def public_network_access(env: Environment) -> None:
    env["account"]["publicNetworkAccess"] = "Enabled"


def local_auth(env: Environment) -> None:
    env["account"]["disableLocalAuth"] = False


def no_private_endpoint(env: Environment) -> None:
    del env["network"]["privateEndpoint"]


@pytest.mark.parametrize(
    ("edit", "policy", "resource", "words"),
    [
        (
            global_training,
            "residency-training-type",
            "support-bot",
            "global training offers no data residency",
        ),
        (
            global_standard_deployment,
            "residency-deployment-sku",
            "support-bot",
            "GlobalStandard gives no data residency",
        ),
        (
            public_network_access,
            "network-public-access-disabled",
            "ftstack-prod-eu",
            "allows public network access",
        ),
        (local_auth, "identity-local-auth-disabled", "ftstack-prod-eu", "accepts API keys"),
        (no_private_endpoint, "network-private-endpoint", "ftstack-prod-eu", "has no private endpoint"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_a_breach_in_prod_eu_is_a_mandatory_violation_of_its_policy(
    tmp_path: Path, edit: Callable[[Environment], None], policy: str, resource: str, words: str
):
    violations = mandatory_violations(mutated(tmp_path / "project", "prod-eu", edit), "prod-eu")
    assert {v["policy"] for v in violations} == {policy}
    assert all(v["resource"] == resource for v in violations)
    assert any(words in v["message"] and "Fix:" in v["message"] for v in violations)


def test_a_hand_written_fine_tuning_job_in_a_region_the_matrix_refuses_is_caught(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    shutil.copy(HAND_WRITTEN, project / "__main__.py")
    violations = mandatory_violations(project, "prod-eu")
    capability = [v for v in violations if v["policy"] == "capability-fine-tuning-job"]
    assert [v["resource"] for v in capability] == ["rogue-job"]
    assert "cannot be trained with standard training in eastus2" in capability[0]["message"]
    assert {"residency-allowed-locations", "network-private-endpoint"} <= {v["policy"] for v in violations}
