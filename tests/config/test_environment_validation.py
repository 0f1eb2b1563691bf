"""Bad stack configs are refused before any resource registers, each problem with its key path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import ConfigError, parse_environment

ROOT = Path(__file__).resolve().parents[2]


def _base() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-eu.yaml").read_text())
    return copy.deepcopy(doc["config"]["ftstack:environment"])


def _set(doc: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    keys = path.split(".")
    node: Any = doc
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    last = keys[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


def _problems(raw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_environment(raw, source="stacks/Pulumi.test.yaml", project_dir=ROOT)
    return info.value.lines()


def test_the_example_config_is_valid() -> None:
    env = parse_environment(_base(), project_dir=ROOT)
    assert env.account.public_network_access == "Disabled"
    assert env.account.disable_local_auth is True


# (mutation path, value, key path expected in the message, words expected in the message)
BAD = [
    ("account.region", "eastus9", "account.region", "unknown region 'eastus9'"),
    ("account.kind", "Speech", "account.kind", "'OpenAI' or 'AIServices'"),
    ("account.name", "Bad_Name", "account.name", "Bad_Name"),
    ("account.publicNetworkAccess", "Open", "account.publicNetworkAccess", "'Disabled' or 'Enabled'"),
    ("account.resourceGroup", {}, "account.resourceGroup.name", "required key is missing"),
    ("account.identity", {"type": "UserAssigned"}, "account.identity", "userAssignedIdentityIds"),
    ("account.colour", "blue", "account.colour", "unknown key 'colour'"),
    ("fineTuning.jobs.0.baseModel", "gpt-5", "fineTuning.jobs[0].baseModel", "models that can be fine-tuned"),
    ("fineTuning.jobs.0.version", "2023-01-01", "fineTuning.jobs[0].version", "known versions: 2024-07-18"),
    (
        "fineTuning.jobs.0.trainingType",
        "global",
        "fineTuning.jobs[0].baseModel",
        "global training is not offered for gpt-4o-mini",
    ),
    (
        "fineTuning.jobs.0.trainingType",
        "regional",
        "fineTuning.jobs[0].trainingType",
        "'standard' or 'global'",
    ),
    ("fineTuning.jobs.0.vision", True, "fineTuning.jobs[0].vision", "does not accept images"),
    ("fineTuning.jobs.0.method.type", "dpo", "fineTuning.jobs[0].method.type", "supports supervised"),
    (
        "fineTuning.jobs.0.method.hyperparameters.nEpochs",
        0,
        "fineTuning.jobs[0].method.hyperparameters.nEpochs",
        "positive whole number or 'auto'",
    ),
    (
        "fineTuning.jobs.0.method.hyperparameters.beta",
        0.1,
        "fineTuning.jobs[0].method",
        "beta applies to the dpo",
    ),
    ("fineTuning.jobs.0.suffix", "x" * 41, "fineTuning.jobs[0].suffix", "at most 40 characters"),
    (
        "fineTuning.jobs.0.trainingFile",
        "examples/missing.jsonl",
        "fineTuning.jobs[0].trainingFile",
        "no such file",
    ),
    (
        "deployments.0.model",
        {"job": "nope"},
        "deployments[0].model.job",
        "not a job of this stack; jobs: support-bot",
    ),
    (
        "deployments.0.model",
        {"job": "support-bot", "fineTunedModel": "gpt-4o-mini-2024-07-18.ft-abc"},
        "deployments[0].model",
        "exactly one of job",
    ),
    ("deployments.0.sku", "Premium", "deployments[0].sku", "'Standard', 'ProvisionedManaged'"),
    ("deployments.0.capacity", 0, "deployments[0].capacity", "greater than or equal to 1"),
    (
        "residency.allowedGeographies",
        ["Atlantis"],
        "residency.allowedGeographies[0]",
        "not a known geography",
    ),
    ("network.privateEndpoint.subnetId", "subnet-1", "network.privateEndpoint.subnetId", "subnet-1"),
    (
        "capabilityOverrides",
        [
            {
                "model": "gpt-4o-mini",
                "version": "2024-07-18",
                "region": "eastus2",
                "training": "standard",
                "justification": "because",
            }
        ],
        "capabilityOverrides[0].justification",
        "at least 20 characters",
    ),
]


@pytest.mark.parametrize(("path", "value", "key", "words"), BAD, ids=[f"{b[0]}={b[1]!r}"[:60] for b in BAD])
def test_a_bad_value_is_reported_with_its_key_path(path: str, value: object, key: str, words: str) -> None:
    lines = _problems(_set(_base(), path, value))
    matching = [line for line in lines if f"ftstack:environment.{key}:" in line]
    assert matching, lines
    assert any(words in line for line in matching), matching
    assert all(line.startswith("stacks/Pulumi.test.yaml: ftstack:environment.") for line in lines)


def test_a_model_region_mismatch_names_where_the_model_can_be_trained() -> None:
    lines = _problems(_set(_base(), "account.region", "eastus2"))
    assert lines == [
        "stacks/Pulumi.test.yaml: ftstack:environment.fineTuning.jobs[0].baseModel: gpt-4o-mini (2024-07-18) "
        "cannot be trained with standard training in eastus2; standard training is available in "
        "northcentralus, swedencentral; global training is not offered for this model."
    ]


def test_every_problem_is_reported_at_once() -> None:
    raw = _base()
    _set(raw, "account.colour", "blue")
    _set(raw, "deployments.0.sku", "Premium")
    _set(raw, "fineTuning.jobs.0.baseModel", "gpt-5")
    lines = _problems(raw)
    assert len(lines) == 3
    assert any("fineTuning.jobs[0].baseModel" in line for line in lines)


def test_residency_is_not_checked_by_config_validation() -> None:
    raw = _set(_base(), "deployments.0.sku", "GlobalStandard")
    raw["residency"]["allowedGeographies"] = ["EU"]
    env = parse_environment(raw, project_dir=ROOT)
    assert env.deployments[0].sku == "GlobalStandard"


def test_a_justified_override_makes_an_unlisted_region_valid_and_is_kept_in_its_arm_spelling() -> None:
    raw = _set(_base(), "account.region", "eastus2")
    raw["capabilityOverrides"] = [
        {
            "model": "gpt-4o-mini",
            "version": "2024-07-18",
            "region": "East US 2",
            "training": "standard",
            "justification": "enabled for our subscription by Azure support case 2411",
        }
    ]
    assert parse_environment(raw, project_dir=ROOT).capability_overrides[0].region == "eastus2"


def test_a_non_object_environment_is_refused() -> None:
    assert "must be an object" in _problems("prod")[0]
