"""What `ftstack check` adds beside the policy verdict: the quota preflight, the first-deploy warnings and
the time the deploy may wait for the stack's jobs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.reporting.markdown_text import cell
from tests.check.check_projects import ROOT, copy_project, edit_environment

RECORDED = ROOT / "tests" / "preflight" / "recorded" / "prod-eu"
SIGN_IN_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "FTSTACK_AZURE_SIGN_IN",
    "RUNNER_ENVIRONMENT",
)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A runner with no Azure sign-in of any kind (an empty Azure CLI folder), outside GitHub Actions."""
    for name in SIGN_IN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "azure-cli"))


def check(*args: str, project: Path = ROOT):
    return CliRunner().invoke(app, ["check", *args, "--project-dir", str(project)])


def report(*args: str, project: Path = ROOT) -> dict:
    result = check(*args, "--format", "json", project=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_without_a_sign_in_the_preflight_is_reported_not_checked_and_azure_is_never_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_azure(subscription: str) -> None:
        raise AssertionError("the check must not read Azure without a sign-in")

    monkeypatch.setattr("ftstack.preflight.sources.azure_reader", no_azure)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-0000000000aa")
    section = report("--stack", "prod-eu")["preflight"]
    assert section["status"] == "not-checked"
    assert section["reason"].startswith("no credentials (no Azure sign-in found: `az login`")
    assert section["report"] is None


def test_the_markdown_report_says_why_the_preflight_was_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    result = check("--stack", "prod-us", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index("#### Quota and capacity preflight")
    assert lines[at + 2].startswith("**not checked: no credentials (no subscription")


def test_recorded_quota_puts_the_shortfall_and_its_eu_only_fixes_in_the_report() -> None:
    section = report("--stack", "prod-eu", "--recorded", str(RECORDED))["preflight"]
    assert section["status"] == "shortfall"
    (finding,) = section["report"]["findings"]
    assert finding["subject"] == "Standard gpt-4o-mini in swedencentral"
    assert (finding["asked"], finding["free"]) == (10, 5)
    assert all(a["region"] != "northcentralus" for a in finding["alternatives"])
    markdown = check("--stack", "prod-eu", "--recorded", str(RECORDED), "--format", "markdown").stdout
    assert f"- :x: {cell(finding['message'])}" in markdown


def test_a_recorded_folder_that_does_not_exist_is_a_usage_error() -> None:
    result = check("--stack", "prod-eu", "--recorded", str(ROOT / "no-such-folder"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --recorded ") and "no such folder" in result.stderr


def test_the_report_warns_about_developer_tier_expiry_idle_deletion_and_the_hosting_fee() -> None:
    dev = report("--stack", "dev")["warnings"]
    assert any("a DeveloperTier deployment is removed 24 hours after it is created" in w for w in dev)
    prod = report("--stack", "prod-us")["warnings"]
    assert any(
        "billed an hourly hosting fee" in w and "deleted after 15 days without calls" in w for w in prod
    )


def test_a_private_endpoint_stack_checked_on_a_github_hosted_runner_is_warned_its_jobs_cannot_connect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNNER_ENVIRONMENT", "github-hosted")
    warnings = report("--stack", "prod-eu")["warnings"]
    (line,) = [w for w in warnings if w.startswith("network.runnerAccess: private-endpoint")]
    assert "GitHub-hosted runner, which cannot reach the account's private endpoint" in line


def test_the_drain_time_of_the_jobs_is_shown_against_the_deploy_runners_limit() -> None:
    drain = report("--stack", "dev")["drain"]
    assert drain | {"basis": ""} == {
        "jobs": 4,  # support-bot and the three points of the support-curve experiment
        "notWaited": 0,
        "trainingAtOnce": 1,
        "worstCaseMinutes": 480.0,  # 4 x waitTimeoutMinutes 120, one after another
        "marginMinutes": 30,
        "runner": "self-hosted",  # runnerAccess: ip-rule needs a fixed egress address
        "runnerLimitMinutes": 7200,
        "fits": True,
        "basis": "",
    }
    markdown = check("--stack", "dev", "--format", "markdown").stdout
    assert (
        "**Fine-tuning drain** ⏱️ 4 waiting job(s), one trains at a time: up to 8 h if each uses its whole wait "
        "bound, plus 30 min for the rest of the deploy, within the self-hosted runner's job limit of 5 days."
    ) in markdown


def test_jobs_that_would_outlast_a_github_hosted_runner_are_warned_about(tmp_path: Path) -> None:
    def public_account(env: dict) -> None:
        env["network"]["runnerAccess"] = "none"
        env["account"]["networkAcls"] = {"defaultAction": "Allow"}

    project = copy_project(tmp_path / "project")
    edit_environment(project, "dev", public_account)
    body = report("--stack", "dev", project=project)
    assert (body["drain"]["runner"], body["drain"]["runnerLimitMinutes"], body["drain"]["fits"]) == (
        "github-hosted",
        360,
        False,
    )
    (line,) = [w for w in body["warnings"] if w.startswith("fineTuning.jobs:")]
    assert "up to 8 h" in line and "beyond the GitHub-hosted runner's job limit of 6 h" in line
    assert line.endswith("or run the deploy on a self-hosted runner")


def test_on_a_terminal_the_tree_shows_the_drain_time_and_why_the_preflight_was_not_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rich.console import Console

    from ftstack.check.runner import run_check
    from ftstack.cli.check_tree import render_tree

    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(render_tree(run_check("dev", ROOT)))
    shown = console.export_text()
    assert "fine-tuning drain: 4 waiting job(s), one trains at a time: up to 8 h" in shown
    assert "quota and capacity preflight" in shown
    assert "not checked: no credentials (no subscription" in shown
