"""The local Azure's quota: usages and model capacities served over its ARM API, limits and outside usage
set by knobs, current values that follow the deployments that exist, and the preflight reading all of it
through the same SDK reader as Azure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ftstack.config import load_environment
from ftstack.local.server import RunningLocalAzure, running_local_azure
from ftstack.preflight import run_preflight
from ftstack.preflight.sources import local_azure_reader
from tests.local.local_azure_harness import SUB, client, create_account, deployment_body, deployment_id, rg_id
from tests.preflight.preflight_harness import ROOT

MINI = "OpenAI.Standard.gpt-4o-mini"
USAGES = f"/arm/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/swedencentral/usages"
CAPACITIES = f"/arm/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/modelCapacities"


@pytest.fixture()
def azure(tmp_path: Path) -> Iterator[RunningLocalAzure]:
    """A local Azure with instant deployment writes and 15 thousand TPM of Standard gpt-4o-mini in Sweden
    Central, 8 of them used outside it."""
    with running_local_azure(tmp_path / "home") as running:
        with client(running.url, running.token) as http:
            quota = {"usages": {"swedencentral": {MINI: {"limit": 15, "currentValue": 8}}}}
            http.post("/local/knobs", json={"deploymentWriteSeconds": 0, "quota": quota}).raise_for_status()
        yield running


def _deploy(http: httpx.Client, account: str, name: str, capacity: int, group: str = "rg") -> httpx.Response:
    body = {**deployment_body("gpt-4o-mini-2024-07-18"), "sku": {"name": "Standard", "capacity": capacity}}
    return http.put(f"/arm{deployment_id(account, name, group)}", json=body)


def _usage(http: httpx.Client, name: str) -> dict[str, Any]:
    answer = http.get(USAGES, params={"api-version": "2024-10-01"})
    answer.raise_for_status()
    return next(u for u in answer.json()["value"] if u["name"]["value"] == name)


def test_current_values_follow_the_deployments_that_exist(azure: RunningLocalAzure) -> None:
    with client(azure.url, azure.token) as http:
        create_account(http, "acct-a")
        _deploy(http, "acct-a", "one", 3).raise_for_status()
        assert (_usage(http, MINI)["limit"], _usage(http, MINI)["currentValue"]) == (15, 11)
        http.delete(f"/arm{deployment_id('acct-a', 'one')}").raise_for_status()
        assert _usage(http, MINI)["currentValue"] == 8


def test_a_deployment_beyond_the_local_quota_is_refused_as_azure_refuses_it(azure: RunningLocalAzure) -> None:
    with client(azure.url, azure.token) as http:
        create_account(http, "acct-b")
        answer = _deploy(http, "acct-b", "big", 8)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "InsufficientQuota"
        assert "current available capacity 7" in answer.json()["error"]["message"]
        _deploy(http, "acct-b", "fits", 7).raise_for_status()
        # Updating a deployment gives its own capacity back first.
        _deploy(http, "acct-b", "fits", 7).raise_for_status()


def test_model_capacities_show_the_room_left_and_need_the_model(azure: RunningLocalAzure) -> None:
    with client(azure.url, azure.token) as http:
        query = {"modelFormat": "OpenAI", "modelName": "gpt-4o-mini", "modelVersion": "2024-07-18"}
        listed = http.get(CAPACITIES, params=query).json()["value"]
        sweden = next(c for c in listed if c["location"] == "swedencentral" and c["name"] == "Standard")
        assert sweden["properties"]["availableFinetuneCapacity"] == 7
        assert http.get(CAPACITIES, params={"modelFormat": "OpenAI"}).status_code == 400


def test_a_bad_quota_knob_is_refused_naming_the_field(azure: RunningLocalAzure) -> None:
    with client(azure.url, azure.token) as http:
        answer = http.post(
            "/local/knobs", json={"quota": {"usages": {"swedencentral": {MINI: {"limit": -1}}}}}
        )
        assert answer.status_code == 400
        assert "quota.usages.swedencentral" in answer.json()["error"]["message"]


def test_the_preflight_reads_the_local_quota_and_the_stacks_account(azure: RunningLocalAzure) -> None:
    with client(azure.url, azure.token) as http:
        http.put(f"/arm{rg_id('rg-ftstack-prod-eu')}", json={"location": "swedencentral"}).raise_for_status()
        create_account(http, "ftstack-prod-eu", group="rg-ftstack-prod-eu")
        _deploy(http, "ftstack-prod-eu", "other", 3, group="rg-ftstack-prod-eu").raise_for_status()
    _, env = load_environment("prod-eu", ROOT)
    reader = local_azure_reader(azure.url, azure.token, SUB)
    report = run_preflight("prod-eu", env, ROOT, reader, "local", SUB)
    [finding] = report.findings
    assert (finding.kind, finding.asked, finding.free) == ("deployment-quota", 10, 4)
    assert "allowed alternatives with room: none in EU" in finding.message
    # The account exists and its data plane answered: files and jobs were counted, not skipped.
    assert not [n for n in report.not_checked if "files and jobs" in n.subject]
