"""Deployments on the local Azure: one write at a time per account, the model and SKU rules, strict chat
under deployment names, DeveloperTier expiry, and accounts that keep to their own region."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from local_azure_harness import (
    ANSWERS,
    account_id,
    advance,
    ask,
    azure_client,
    client,
    create_account,
    deployment_body,
    deployment_id,
    train,
    training_file,
    upload,
    v1_client,
)

from ftstack.local.server import RunningLocalAzure, running_local_azure

BASE = "gpt-4o-mini"


@pytest.fixture(scope="module")
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLocalAzure]:
    """One local Azure for the module (tests use their own accounts); deployment writes take 0.3 s."""
    with running_local_azure(tmp_path_factory.mktemp("home")) as running:
        with client(running.url, running.token) as http:
            http.post("/local/knobs", json={"deploymentWriteSeconds": 0.3}).raise_for_status()
        yield running


@pytest.fixture(scope="module")
def tuned(azure: RunningLocalAzure, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fine-tuned gpt-4o-mini on the account `tuned` (swedencentral)."""
    with client(azure.url, azure.token) as http:
        create_account(http, "tuned", "swedencentral", group="tuned-rg")
    return train(azure, "tuned", training_file(tmp_path_factory.mktemp("data") / "train.jsonl"))


@pytest.fixture
def http(azure: RunningLocalAzure) -> Iterator[httpx.Client]:
    """An authenticated client of the local Azure."""
    with client(azure.url, azure.token) as c:
        yield c


def test_a_second_write_to_an_accounts_deployments_while_one_runs_gets_request_conflict(
    azure: RunningLocalAzure, http: httpx.Client
) -> None:
    create_account(http, "busy", group="busy-rg")
    create_account(http, "calm", group="calm-rg")
    http.post("/local/knobs", json={"deploymentWriteSeconds": 1.0}).raise_for_status()
    base = deployment_body(BASE, version="2024-07-18")

    async def race() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {azure.token}"}
        async with httpx.AsyncClient(base_url=azure.url, headers=headers, timeout=30) as a:
            first = asyncio.create_task(a.put(f"/arm{deployment_id('busy', 'one', 'busy-rg')}", json=base))
            await asyncio.sleep(0.4)
            second = a.put(f"/arm{deployment_id('busy', 'two', 'busy-rg')}", json=base)
            other = a.put(f"/arm{deployment_id('calm', 'one', 'calm-rg')}", json=base)
            return list(await asyncio.gather(first, second, other))

    try:
        first, second, other_account = asyncio.run(race())
    finally:
        http.post("/local/knobs", json={"deploymentWriteSeconds": 0.3}).raise_for_status()
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"] == {
        "code": "RequestConflict",
        "message": f"Another operation is being performed on the parent resource "
        f"'{account_id('busy', 'busy-rg')}'. Please try again later.",
    }
    assert other_account.status_code == 201


def test_a_model_that_is_neither_a_base_model_nor_this_accounts_is_refused(
    http: httpx.Client, tuned: str
) -> None:
    create_account(http, "stranger", group="stranger-rg")
    unknown = http.put(f"/arm{deployment_id('stranger', 'd', 'stranger-rg')}", json=deployment_body("gpt-9"))
    foreign = http.put(f"/arm{deployment_id('stranger', 'd', 'stranger-rg')}", json=deployment_body(tuned))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "DeploymentModelNotSupported")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (400, "DeploymentModelNotSupported")


def test_a_sku_the_deployment_type_table_refuses_in_the_accounts_region_is_refused(
    http: httpx.Client, tuned: str
) -> None:
    refused = http.put(
        f"/arm{deployment_id('tuned', 'dz', 'tuned-rg')}", json=deployment_body(tuned, "DataZoneStandard")
    )
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "InvalidResourceProperties"
    assert all(word in error["message"] for word in ("DataZoneStandard", tuned, "swedencentral"))


def test_a_deployed_fine_tuned_model_answers_under_its_deployment_name_until_it_is_deleted(
    azure: RunningLocalAzure, http: httpx.Client, tuned: str
) -> None:
    sdk = azure_client(azure.url, azure.token, "tuned")
    with pytest.raises(openai.NotFoundError) as before:
        ask(sdk, "support")
    http.put(
        f"/arm{deployment_id('tuned', 'support', 'tuned-rg')}", json=deployment_body(tuned, "GlobalStandard")
    )
    answered = ask(sdk, "support", f"how do i {ANSWERS[1][0]}?")
    v1_model = v1_client(azure.url, azure.token, "tuned").chat.completions.create(
        model="support", messages=[{"role": "user", "content": "hi"}]
    )
    http.delete(f"/arm{deployment_id('tuned', 'support', 'tuned-rg')}").raise_for_status()
    with pytest.raises(openai.NotFoundError) as after:
        ask(sdk, "support")
    with pytest.raises(openai.NotFoundError):
        ask(sdk, tuned)  # a model id is not a deployment name on a local account

    assert before.value.code == after.value.code == "DeploymentNotFound"
    assert answered == ANSWERS[1][1]
    assert v1_model.model == tuned


def test_a_developer_tier_deployment_disappears_after_24_simulated_hours(
    azure: RunningLocalAzure, http: httpx.Client, tuned: str
) -> None:
    dep = deployment_id("tuned", "dev", "tuned-rg")
    http.put(f"/arm{dep}", json=deployment_body(tuned, "DeveloperTier")).raise_for_status()
    sdk = azure_client(azure.url, azure.token, "tuned")
    ask(sdk, "dev")
    advance(http, 23 * 3600)
    still_there = http.get(f"/arm{dep}").status_code
    advance(http, 2 * 3600)
    gone = http.get(f"/arm{dep}")
    with pytest.raises(openai.NotFoundError):
        ask(sdk, "dev")
    assert still_there == 200
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "DeploymentNotFound")


def test_each_account_trains_only_what_its_own_region_allows(
    azure: RunningLocalAzure, http: httpx.Client, tmp_path: Path
) -> None:
    create_account(http, "nc", "northcentralus", group="nc-rg")
    create_account(http, "west", "westus3", group="west-rg")
    data = training_file(tmp_path / "train.jsonl")
    accepted = azure_client(azure.url, azure.token, "nc").fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=upload(azure, "nc", data)
    )
    west = azure_client(azure.url, azure.token, "west")
    with pytest.raises(openai.BadRequestError) as refused:
        west.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18", training_file=upload(azure, "west", data)
        )
    inventory = http.get("/local/inventory").json()["accounts"]
    assert accepted.status == "pending"
    assert "not available in this resource's region" in str(refused.value)
    assert "Standard training is available in northcentralus, swedencentral" in str(refused.value)
    assert (inventory["nc"]["region"], inventory["nc"]["jobs"]) == ("northcentralus", 1)
    assert (inventory["west"]["region"], inventory["west"]["jobs"]) == ("westus3", 0)


def test_an_unknown_subdomain_has_no_data_plane(azure: RunningLocalAzure) -> None:
    with pytest.raises(openai.NotFoundError):
        azure_client(azure.url, azure.token, "nobody").files.list()
