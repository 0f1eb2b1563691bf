"""Every shipped stack through the real `pulumi` CLI on the local Azure: preview with the policy pack,
up, a no-change preview, a data change, refresh after drift, destroy.

The tests of this module share one copied project and one local Azure, and run in the order written (each
stack's lifecycle is a sequence); they are skipped, with the reason, only where neither a Pulumi CLI nor Go
exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openai import AzureOpenAI

from tests.engine.engine_harness import (
    advance_clock,
    engine_unavailable,
    ftstack_local,
    inventory,
    local_project,
    preview_steps,
    state_resources,
)

STACKS = ("dev", "prod-eu", "prod-us")
JOB_TYPE = "pulumi-python:dynamic/ftstack:FineTuningJob"
DEPLOYMENT_TYPE = "azure-native:cognitiveservices:Deployment"
ACCOUNT_TYPE = "azure-native:cognitiveservices:Account"
DEVELOPER_TIER_LIFETIME_SECONDS = 24 * 3600

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copied project with its own local workspace; its local Azure is stopped at the end."""
    folder = local_project(tmp_path_factory.mktemp("engine") / "project")
    yield folder
    for stack in STACKS:
        ftstack_local(folder, "destroy", "--stack", stack)
    ftstack_local(folder, "stop")


def _ok(done: Any) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return str(done.stdout)


def _environment(project: Path, stack: str) -> dict[str, Any]:
    document = yaml.safe_load((project / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return dict(document["config"]["ftstack:environment"])


def _of_type(resources: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_]


def _account(project: Path, stack: str) -> dict[str, Any]:
    (account,) = _of_type(state_resources(project, stack), ACCOUNT_TYPE)
    return account


@pytest.mark.parametrize("stack", STACKS)
def test_a_new_stack_previews_through_the_policy_pack(project: Path, stack: str):
    output = _ok(ftstack_local(project, "preview", "--stack", stack))
    assert "ftstack-policies" in output
    assert "to create" in output


@pytest.mark.parametrize("stack", STACKS)
def test_up_creates_every_resource_and_trains_every_job(project: Path, stack: str):
    outputs = json.loads(_ok(ftstack_local(project, "up", "--stack", stack)))
    resources = state_resources(project, stack)
    jobs = _of_type(resources, JOB_TYPE)
    assert jobs and all(j["outputs"]["status"] == "succeeded" for j in jobs)
    assert all(j["outputs"]["fine_tuned_model"] for j in jobs)
    deployments = _of_type(resources, DEPLOYMENT_TYPE)
    assert {d["inputs"]["deploymentName"] for d in deployments} == set(outputs["deploymentNames"])
    region = _environment(project, stack)["account"]["region"]
    account = _account(project, stack)
    assert account["outputs"]["location"] == region
    held = inventory(project, stack)
    assert account["id"] in {r["id"] for r in held["resources"]}

    # The deployments that `pulumi up` created answer chat completions on the account it created.
    client = AzureOpenAI(
        azure_endpoint=outputs["dataPlaneEndpoint"],
        api_version="2025-04-01-preview",
        azure_ad_token=outputs["token"],
    )
    for name in outputs["deploymentNames"]:
        answer = client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": "Where is my order?"}]
        )
        assert answer.choices[0].message.content


@pytest.mark.parametrize("stack", STACKS)
def test_a_second_preview_shows_no_changes(project: Path, stack: str):
    steps = preview_steps(project, stack)
    # Pulumi.yaml asks for a refresh before every preview: those reads are not changes.
    changes = [(s["op"], s["urn"]) for s in steps if s["op"] not in ("same", "refresh")]
    assert changes == []


@pytest.mark.parametrize("stack", STACKS)
def test_changing_one_training_file_replaces_that_job_only(project: Path, stack: str):
    stack_file = project / "stacks" / f"Pulumi.{stack}.yaml"
    original = stack_file.read_text(encoding="utf-8")
    document = yaml.safe_load(original)
    job = document["config"]["ftstack:environment"]["fineTuning"]["jobs"][0]
    source = project / job["trainingFile"]
    changed = source.with_name(f"training-{stack}-changed.jsonl")
    lines = [line for line in source.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    changed.write_text(
        "\n".join([*lines[1:], lines[0]]) + "\n", encoding="utf-8"
    )  # same examples, new content
    job["trainingFile"] = str(changed.relative_to(project))
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    try:
        steps = preview_steps(project, stack)
    finally:
        stack_file.write_text(original, encoding="utf-8")
    replaced = {s["urn"].rsplit("::", 1)[-1] for s in steps if s["op"] in ("replace", "create-replacement")}
    assert replaced == {job["name"]}


def test_refresh_after_the_developer_tier_expiry_shows_the_deployment_gone_and_up_recreates_it(project: Path):
    stack = "dev"
    before = {
        d["inputs"]["deploymentName"] for d in _of_type(state_resources(project, stack), DEPLOYMENT_TYPE)
    }
    assert before
    advance_clock(project, stack, DEVELOPER_TIER_LIFETIME_SECONDS + 3600)
    _ok(ftstack_local(project, "refresh", "--stack", stack))
    assert _of_type(state_resources(project, stack), DEPLOYMENT_TYPE) == []

    _ok(ftstack_local(project, "up", "--stack", stack))
    after = {
        d["inputs"]["deploymentName"] for d in _of_type(state_resources(project, stack), DEPLOYMENT_TYPE)
    }
    assert after == before


@pytest.mark.parametrize("stack", STACKS)
def test_destroy_leaves_no_account_file_job_or_deployment(project: Path, stack: str):
    account = _account(project, stack)
    subdomain = account["outputs"]["properties"]["customSubDomainName"]
    _ok(ftstack_local(project, "destroy", "--stack", stack))
    held = inventory(project, stack)
    assert not [r for r in held["resources"] if r["id"].lower().startswith(account["id"].lower())]
    assert account["id"] not in held["softDeletedAccounts"]
    assert subdomain not in held["accounts"]


def test_a_global_standard_deployment_in_prod_eu_fails_local_preview_with_the_policy_message(project: Path):
    stack_file = project / "stacks" / "Pulumi.prod-eu.yaml"
    original = stack_file.read_text(encoding="utf-8")
    document = yaml.safe_load(original)
    document["config"]["ftstack:environment"]["deployments"][0]["sku"] = "GlobalStandard"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    try:
        done = ftstack_local(project, "preview", "--stack", "prod-eu")
    finally:
        stack_file.write_text(original, encoding="utf-8")
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-4000:]
    assert "residency-deployment-sku" in done.stdout
    assert "GlobalStandard gives no data residency" in done.stdout
