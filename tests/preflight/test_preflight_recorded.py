"""`ftstack preflight` on recorded ARM responses: each finding kind, what would work (filtered by
residency), what could not be checked, and the exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError

from ftstack.preflight import CredentialError, preflight_section
from ftstack.preflight.sources import recorded_reader
from ftstack.reporting.markdown_text import cell
from tests.check.check_projects import copy_project, mutated
from tests.preflight.preflight_harness import (
    RECORDED,
    ftstack,
    recorded_copy,
    run_recorded,
    set_usage,
    write_json,
)

MINI = "OpenAI.Standard.gpt-4o-mini"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unchanged copy of the project."""
    return copy_project(tmp_path_factory.mktemp("preflight") / "project")


def _kinds(report: Any) -> list[str]:
    return [f.kind for f in report.findings]


def test_prod_eu_deployment_beyond_the_recorded_free_quota_is_flagged_with_only_eu_fixes() -> None:
    done = ftstack("preflight", "-s", "prod-eu", "--recorded", str(RECORDED), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["fits"] is False
    [finding] = report["findings"]
    assert finding["kind"] == "deployment-quota"
    assert (finding["asked"], finding["free"]) == (10, 5)
    # North Central US has room (recorded) but lies outside the EU: never suggested.
    assert finding["alternatives"] == []
    assert "northcentralus" not in done.stdout
    assert finding["message"] == (
        "Standard gpt-4o-mini in swedencentral: 5 TPM-thousands free, 10 asked (deployments support-bot (10)); "
        "allowed alternatives with room: none in EU; lower capacity to 5 or request quota for "
        "OpenAI.Standard.gpt-4o-mini in swedencentral"
    )


def test_without_a_geography_restriction_the_same_shortfall_suggests_the_region_with_room(
    tmp_path: Path,
) -> None:
    def open_up(env: dict[str, Any]) -> None:
        env["residency"]["allowedGeographies"] = []

    project = mutated(tmp_path / "project", "prod-eu", open_up)
    report = run_recorded(project, "prod-eu", RECORDED)
    [finding] = report.findings
    assert [(a.region, a.sku, a.free) for a in finding.alternatives] == [("northcentralus", "Standard", 500)]
    assert "move to Standard in northcentralus" in finding.fixes


def test_an_allowed_sku_with_room_in_the_same_region_is_suggested_first(
    tmp_path: Path, project: Path
) -> None:
    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", "OpenAI.DataZoneStandard.gpt-4o-mini", 100, 0)

    def us_zone(env: dict[str, Any]) -> None:  # DataZoneStandard serves fine-tuned models in the US zone only
        env["residency"]["allowedGeographies"] = []
        env["residency"]["allowedDeploymentSkus"] = ["Standard", "DataZoneStandard"]

    changed = mutated(tmp_path / "project", "prod-eu", us_zone)
    report = run_recorded(changed, "prod-eu", folder)
    places = [(a.region, a.sku) for a in report.findings[0].alternatives]
    assert ("swedencentral", "DataZoneStandard") not in places  # Sweden is in no US data zone
    assert places[0] == ("northcentralus", "Standard")


def test_a_stack_that_fits_exits_0_and_says_what_was_checked(tmp_path: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 30, 0)
    done = ftstack("preflight", "-s", "prod-eu", "--recorded", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "everything fits" in done.stdout
    assert "fits: Standard gpt-4o-mini in swedencentral: 20 TPM-thousands free, 10 asked" in done.stdout


def test_fine_tune_capacity_below_the_ask_is_its_own_finding(tmp_path: Path, project: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 1000, 0)
    capacities = folder / "modelCapacities" / "gpt-4o-mini-2024-07-18.json"
    doc = json.loads(capacities.read_text())
    doc["responses"]["200"]["body"]["value"][0]["properties"]["availableFinetuneCapacity"] = 4
    capacities.write_text(json.dumps(doc))
    report = run_recorded(project, "prod-eu", folder)
    [finding] = report.findings
    assert (finding.kind, finding.free) == ("deployment-capacity", 4)
    assert "try later" in finding.message


def test_a_quota_azure_does_not_list_is_not_checked_rather_than_passed(tmp_path: Path, project: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")
    write_json(folder, "usages/swedencentral.json", {"value": []})
    (folder / "modelCapacities" / "gpt-4o-mini-2024-07-18.json").unlink()
    report = run_recorded(project, "prod-eu", folder)
    assert report.ok
    [unchecked] = [n for n in report.not_checked if "gpt-4o-mini" in n.subject]
    assert unchecked.message == (
        "not checked: Standard gpt-4o-mini in swedencentral: Azure lists no quota named "
        "OpenAI.Standard.gpt-4o-mini-finetune or OpenAI.Standard.gpt-4o-mini there"
    )


def test_a_fine_tune_quota_is_used_before_the_base_models(tmp_path: Path, project: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 1000, 0)
    set_usage(folder, "swedencentral", f"{MINI}-finetune", 3, 0)
    [finding] = run_recorded(project, "prod-eu", folder).findings
    assert finding.free == 3
    assert f"request quota for {MINI}-finetune" in finding.message


def test_capacity_the_stacks_own_deployment_holds_counts_as_free_again(tmp_path: Path, project: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")  # 5 free; the account's support-bot already holds 10
    write_json(folder, "accounts/ftstack-prod-eu.json", _account())
    write_json(
        folder, "accounts/ftstack-prod-eu/deployments.json", {"value": [_deployment("support-bot", 10)]}
    )
    assert run_recorded(project, "prod-eu", folder).ok


def test_more_fine_tuned_deployments_than_a_resource_holds_is_flagged(tmp_path: Path) -> None:
    def six(env: dict[str, Any]) -> None:
        first = env["deployments"][0]
        env["deployments"] = [{**first, "name": f"bot-{i}", "capacity": 1} for i in range(6)]

    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 1000, 0)
    report = run_recorded(mutated(tmp_path / "project", "prod-eu", six), "prod-eu", folder)
    assert _kinds(report) == ["deployment-count"]
    assert "6 asked, the limit is 5 deployments" in report.findings[0].message


def test_an_experiment_with_more_points_than_the_queue_takes_is_flagged(tmp_path: Path) -> None:
    def sweep(env: dict[str, Any]) -> None:
        env["fineTuning"]["jobs"][0]["experiment"] = {"sweep": {"seed": list(range(22))}, "maxPoints": 30}
        env["deployments"][0]["model"] = {"experiment": "support-bot", "select": "best_validation_loss"}

    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 1000, 0)
    report = run_recorded(mutated(tmp_path / "project", "prod-eu", sweep), "prod-eu", folder)
    assert _kinds(report) == ["job-queue"]
    assert report.findings[0].asked == 22
    assert "submit at most 21 jobs at once" in report.findings[0].message


def test_files_and_jobs_already_on_the_account_count_against_its_limits(
    tmp_path: Path, project: Path
) -> None:
    folder = recorded_copy(tmp_path / "rec")
    set_usage(folder, "swedencentral", MINI, 1000, 0)
    write_json(folder, "accounts/ftstack-prod-eu.json", _account())
    write_json(folder, "accounts/ftstack-prod-eu/deployments.json", {"value": []})
    files = [{"id": f"file-{i}", "filename": f"other-{i}.jsonl", "bytes": 22_000_000} for i in range(49)]
    jobs = [{"id": f"ftjob-{i}", "status": "succeeded"} for i in range(99)] + [
        {"id": "ftjob-r", "status": "running"}
    ]
    write_json(folder, "accounts/ftstack-prod-eu/files.json", {"data": files})
    write_json(folder, "accounts/ftstack-prod-eu/fine_tuning_jobs.json", {"data": jobs})
    report = run_recorded(project, "prod-eu", folder)
    assert sorted(_kinds(report)) == ["file-count", "file-size", "job-total"]
    assert "49 on the account and 2 to upload" in next(
        f.message for f in report.findings if f.kind == "file-count"
    )


def test_a_data_plane_that_was_not_read_is_reported_not_checked(tmp_path: Path, project: Path) -> None:
    folder = recorded_copy(tmp_path / "rec")
    write_json(folder, "accounts/ftstack-prod-eu.json", _account())
    report = run_recorded(project, "prod-eu", folder)
    assert any(n.subject == "account ftstack-prod-eu files and jobs" for n in report.not_checked)


def test_a_missing_recorded_folder_is_one_usage_line_with_exit_2(tmp_path: Path) -> None:
    done = ftstack("preflight", "-s", "prod-eu", "--recorded", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: --recorded {tmp_path / 'nope'}: no such folder"]


def test_an_unknown_stack_is_one_usage_line_with_exit_2() -> None:
    done = ftstack("preflight", "-s", "staging", "--recorded", str(RECORDED))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "staging" in done.stderr and "prod-eu" in done.stderr


def test_without_a_subscription_azure_is_not_read_and_the_user_is_told_how(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AZURE_SUBSCRIPTION_ID"}
    done = ftstack("preflight", "-s", "prod-eu", env=env)
    assert done.returncode == 2
    assert "no subscription for stack prod-eu: pass --subscription ID" in done.stderr
    assert "Traceback" not in done.stderr


class _NoSignIn:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


def test_a_credential_that_cannot_sign_in_says_how_to_log_in() -> None:
    from ftstack.arm.quota_api import ArmQuotaReader

    reader = ArmQuotaReader("sub", _NoSignIn())
    with pytest.raises(CredentialError, match="az login"):
        reader.usages("swedencentral")


def test_the_check_report_section_says_not_checked_without_credentials(project: Path) -> None:
    from ftstack.arm.quota_api import ArmQuotaReader

    reader = ArmQuotaReader("sub", _NoSignIn())
    section = preflight_section("prod-eu", project, reader, subscription="sub")
    assert (section.status, section.reason) == ("not-checked", "no credentials")
    assert "**not checked: no credentials**" in section.markdown()


def test_the_check_report_section_without_a_subscription_is_not_checked_not_passed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    section = preflight_section("prod-eu", project)
    assert section.status == "not-checked"
    assert section.reason is not None and section.reason.startswith("no credentials (no subscription")


def test_the_check_report_section_lists_each_shortfall(project: Path) -> None:
    section = preflight_section("prod-eu", project, recorded_reader(RECORDED), subscription="sub")
    assert section.status == "shortfall"
    assert section.report is not None
    assert f"- :x: {cell(section.report.findings[0].message)}" in section.markdown()
    assert section.to_json()["report"]["fits"] is False


def _account() -> dict[str, Any]:
    return {
        "id": "/subscriptions/sub/resourceGroups/rg-ftstack-prod-eu/providers/Microsoft.CognitiveServices/accounts/"
        "ftstack-prod-eu",
        "name": "ftstack-prod-eu",
        "location": "swedencentral",
        "kind": "OpenAI",
        "properties": {"endpoint": "https://ftstack-prod-eu.openai.azure.com/"},
    }


def _deployment(name: str, capacity: int) -> dict[str, Any]:
    return {
        "name": name,
        "sku": {"name": "Standard", "capacity": capacity},
        "properties": {
            "model": {"format": "OpenAI", "name": "gpt-4o-mini-2024-07-18.ft-0123", "version": "1"}
        },
    }
