"""Deployment types of fine-tuned models: which SKU a base model's fine-tuned models can use, and where."""

from __future__ import annotations

import pytest

from ftstack.catalog import load_matrix
from ftstack.catalog.deployment_types import load_deployment_types


@pytest.mark.parametrize(
    ("sku", "model", "version", "region"),
    [
        ("DeveloperTier", "gpt-4.1-mini", "2025-04-14", "francecentral"),
        ("Standard", "gpt-4o-mini", "2024-07-18", "swedencentral"),
        ("Standard", "gpt-4.1-mini", "2025-04-14", "northcentralus"),
        ("DataZoneStandard", "gpt-4.1-mini", "2025-04-14", "northcentralus"),
        ("GlobalStandard", "gpt-4o", "2024-08-06", "japaneast"),
        ("Standard", "gpt-35-turbo", "0125", "switzerlandwest"),
        ("ProvisionedManaged", "gpt-4.1", "2025-04-14", "Sweden Central"),
    ],
)
def test_documented_deployment_types_are_allowed(sku: str, model: str, version: str, region: str) -> None:
    assert load_deployment_types().check(sku, model, version, region).allowed


@pytest.mark.parametrize(
    ("sku", "model", "version", "region", "words"),
    [
        ("GlobalStandard", "gpt-35-turbo", "0125", "eastus2", "GlobalStandard is not offered for fine-tuned"),
        (
            "Standard",
            "gpt-4o-mini",
            "2024-07-18",
            "eastus2",
            "available in northcentralus, swedencentral, not eastus2",
        ),
        ("DataZoneStandard", "gpt-4o", "2024-08-06", "swedencentral", "regions of the US data zone"),
        ("ProvisionedManaged", "gpt-4.1", "2025-04-14", "northcentralus", "available in swedencentral, not"),
        ("DeveloperTier", "gpt-35-turbo", "1106", "swedencentral", "DeveloperTier is not offered"),
        ("GlobalProvisionedManaged", "gpt-4o", "2024-08-06", "swedencentral", "imported custom models"),
    ],
)
def test_undocumented_deployment_types_are_refused_with_what_would_work(
    sku: str, model: str, version: str, region: str, words: str
) -> None:
    decision = load_deployment_types().check(sku, model, version, region)
    assert not decision.allowed
    assert words in decision.message
    assert f"models in {decision.region} can use: " in decision.message


def test_fine_tuned_gpt_4o_mini_in_east_us_2_can_use_the_global_and_us_data_zone_types() -> None:
    usable = load_deployment_types().usable_skus("gpt-4o-mini", "2024-07-18", "eastus2")
    assert usable == ("GlobalStandard", "DataZoneStandard", "DeveloperTier")


def test_every_rule_names_its_source_and_only_matrix_models() -> None:
    matrix = load_matrix()
    for rule in load_deployment_types().rules:
        assert rule.rule_provenance.title
        for model, version in rule.regions:
            assert matrix.row(model, version)
            assert rule.provenance[(model, version)].recorded
