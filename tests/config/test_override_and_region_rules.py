"""Capability overrides add a justified standard-training region and nothing more; regions reach ARM in
their ARM spelling; vision is read from the data; allowed base models are models the matrix lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import ConfigError, parse_environment

ROOT = Path(__file__).resolve().parents[2]
JUSTIFIED = "enabled for our subscription by Azure support case 2411"


def _prod_eu() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod-eu.yaml").read_text())
    return copy.deepcopy(doc["config"]["ftstack:environment"])


def _override(**changes: str) -> dict[str, str]:
    return {
        "model": "gpt-4o-mini",
        "version": "2024-07-18",
        "region": "eastus2",
        "training": "standard",
        "justification": JUSTIFIED,
        **changes,
    }


def _problems(raw: dict[str, Any], project_dir: Path = ROOT) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_environment(raw, source="stacks/Pulumi.test.yaml", project_dir=project_dir)
    return info.value.lines()


def test_an_override_cannot_grant_global_training():
    raw = _prod_eu() | {"capabilityOverrides": [_override(training="global", region="swedencentral")]}
    assert _problems(raw) == [
        "stacks/Pulumi.test.yaml: ftstack:environment.capabilityOverrides[0].training: 'global': an override adds "
        "a standard-training region only; it never grants global training or a global-training region (those "
        "come from the capability matrix alone)"
    ]


@pytest.mark.parametrize(
    "justification",
    ["x" * 20, "xxxx yyyy zzzz wwww vvvv", "because because because because", "ok ok ok ok ok ok ok ok ok"],
)
def test_a_justification_that_does_not_read_as_one_is_refused(justification: str):
    raw = _prod_eu() | {"capabilityOverrides": [_override(justification=justification)]}
    problems = _problems(raw)
    assert len(problems) == 1 and "capabilityOverrides[0].justification" in problems[0]
    assert "a justification must say why in words" in problems[0]


def test_a_justified_standard_override_passes_with_its_region_in_arm_spelling():
    raw = _prod_eu() | {"capabilityOverrides": [_override(region=" East US 2\u00a0")]}
    env = parse_environment(raw, project_dir=ROOT)
    assert env.capability_overrides[0].region == "eastus2"
    assert env.capability_overrides[0].justification == JUSTIFIED


def test_account_and_endpoint_regions_reach_arm_as_arm_names():
    raw = _prod_eu()
    raw["account"]["region"] = "Sweden\u00a0Central "
    raw["network"]["privateEndpoint"]["region"] = "SWEDEN CENTRAL"
    env = parse_environment(raw, project_dir=ROOT)
    assert (env.account.region, env.network.private_endpoint.region) == ("swedencentral", "swedencentral")


def test_an_allowed_base_model_must_be_a_model_of_the_matrix():
    raw = _prod_eu()
    raw["residency"]["allowedBaseModels"] = ["gpt-4o-mini", "gpt-9"]
    problems = _problems(raw)
    assert len(problems) == 1
    assert "residency.allowedBaseModels[1]: 'gpt-9' is not a model the matrix lists" in problems[0]


def test_image_data_makes_a_job_vision_training_even_with_the_flag_off(tmp_path: Path):
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    (tmp_path / "images.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": [part]}]}) + "\n"
    )
    raw = _prod_eu()
    raw["account"]["region"] = "japaneast"
    raw["residency"] = {}
    raw["deployments"] = []
    raw["fineTuning"]["jobs"][0].update(
        baseModel="gpt-4.1", version="2025-04-14", trainingType="global", trainingFile="images.jsonl"
    )
    raw["fineTuning"]["jobs"][0].pop("validationFile")
    problems = _problems(raw, tmp_path)
    assert problems == [
        "stacks/Pulumi.test.yaml: ftstack:environment.fineTuning.jobs[0].trainingFile: the job's data holds images "
        "(an image_url content part), so it is vision training: global training in japaneast has no vision support."
    ]
    (tmp_path / "images.jsonl").write_text('{"messages": [{"role": "user", "content": "text only"}]}\n')
    assert parse_environment(raw, project_dir=tmp_path).account.region == "japaneast"
