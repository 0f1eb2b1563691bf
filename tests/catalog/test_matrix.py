"""The capability matrix reproduces the seed's table and answers capability questions."""

from __future__ import annotations

import pytest

from ftstack.catalog import (
    AmbiguousVersionError,
    TrainingType,
    UnknownModelError,
    UnknownRegionError,
    UnknownVersionError,
    load_matrix,
)

GLOBAL_REGIONS = [
    "australiaeast",
    "brazilsouth",
    "francecentral",
    "germanywestcentral",
    "italynorth",
    "japaneast",
    "koreacentral",
    "norwayeast",
    "polandcentral",
    "southeastasia",
    "spaincentral",
    "southafricanorth",
]

# (model, version, standard regions, global, max in, max out, training ctx, cutoff, modality): the seed's table.
SEED_ROWS = [
    (
        "gpt-35-turbo",
        "1106",
        ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"],
        False,
        16385,
        4096,
        None,
        "2021-09",
        "text-to-text",
    ),
    (
        "gpt-35-turbo",
        "0125",
        ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"],
        False,
        16385,
        None,
        None,
        "2021-09",
        "text-to-text",
    ),
    (
        "gpt-4o-mini",
        "2024-07-18",
        ["northcentralus", "swedencentral"],
        False,
        128000,
        16384,
        65536,
        "2023-10",
        "text-to-text",
    ),
    (
        "gpt-4o",
        "2024-08-06",
        ["eastus2", "northcentralus", "swedencentral"],
        False,
        128000,
        16384,
        65536,
        "2023-10",
        "text-and-vision-to-text",
    ),
    (
        "gpt-4.1",
        "2025-04-14",
        ["northcentralus", "swedencentral"],
        True,
        128000,
        16384,
        65536,
        "2024-05",
        "text-and-vision-to-text",
    ),
    (
        "gpt-4.1-mini",
        "2025-04-14",
        ["northcentralus", "swedencentral"],
        True,
        128000,
        16384,
        65536,
        "2024-05",
        "text-to-text",
    ),
    (
        "gpt-4.1-nano",
        "2025-04-14",
        ["northcentralus", "swedencentral"],
        True,
        128000,
        16384,
        32768,
        "2024-05",
        "text-to-text",
    ),
]


@pytest.mark.parametrize("expected", SEED_ROWS, ids=lambda r: f"{r[0]}-{r[1]}")
def test_every_seed_row_is_reproduced_exactly_with_its_provenance(expected: tuple) -> None:
    model, version, regions, global_, max_in, max_out, ctx, cutoff, modality = expected
    row = load_matrix().row(model, version)
    assert list(row.standard_regions) == regions
    assert row.global_training is global_
    assert (row.max_input_tokens, row.max_output_tokens) == (max_in, max_out)
    assert row.training_example_context_length == ctx
    assert row.training_data_cutoff == cutoff
    assert row.modality == modality
    assert row.provenance.source == "seed"
    assert row.provenance.recorded


def test_the_matrix_has_exactly_the_seed_rows() -> None:
    assert [(r.model, r.version) for r in load_matrix().rows] == [(r[0], r[1]) for r in SEED_ROWS]


def test_the_global_training_region_list_is_the_seeds() -> None:
    matrix = load_matrix()
    assert list(matrix.global_regions) == GLOBAL_REGIONS
    assert list(matrix.global_no_vision_regions) == ["japaneast"]


def test_gpt35_examples_are_bounded_by_max_input_tokens_where_the_seed_gives_no_context_length() -> None:
    assert load_matrix().row("gpt-35-turbo", "0125").example_token_limit == 16385
    assert load_matrix().row("gpt-4.1-nano", "2025-04-14").example_token_limit == 32768


def test_standard_training_is_allowed_in_a_listed_region() -> None:
    decision = load_matrix().check("gpt-4o-mini", "2024-07-18", "swedencentral", "standard")
    assert decision.allowed
    assert "supports standard training in swedencentral" in decision.reasons[0]


def test_standard_training_outside_the_listed_regions_is_refused_with_alternatives() -> None:
    decision = load_matrix().check("gpt-4o-mini", "2024-07-18", "eastus2", "standard")
    assert not decision.allowed
    assert decision.alternatives[TrainingType.STANDARD] == ("northcentralus", "swedencentral")
    assert decision.alternatives[TrainingType.GLOBAL] == ()
    assert "northcentralus, swedencentral" in decision.reasons[0]


def test_global_training_is_refused_for_a_model_without_global_training() -> None:
    decision = load_matrix().check("gpt-4o", "2024-08-06", "francecentral", "global")
    assert not decision.allowed
    assert any("global training is not offered" in r for r in decision.reasons)


def test_global_training_is_refused_outside_the_global_training_regions() -> None:
    decision = load_matrix().check("gpt-4.1", "2025-04-14", "swedencentral", "global")
    assert not decision.allowed
    assert any("swedencentral is not one" in r for r in decision.reasons)
    assert list(decision.alternatives[TrainingType.GLOBAL]) == GLOBAL_REGIONS


@pytest.mark.parametrize("region", GLOBAL_REGIONS)
def test_global_training_is_allowed_in_every_global_training_region(region: str) -> None:
    assert load_matrix().check("gpt-4.1-nano", "2025-04-14", region, "global").allowed


def test_vision_data_cannot_be_trained_globally_in_japan_east() -> None:
    matrix = load_matrix()
    assert matrix.check("gpt-4.1", "2025-04-14", "japaneast", "global").allowed
    refused = matrix.check("gpt-4.1", "2025-04-14", "japaneast", "global", vision=True)
    assert not refused.allowed
    assert "japaneast has no vision support" in refused.reasons[0]
    assert "japaneast" not in refused.alternatives[TrainingType.GLOBAL]


def test_vision_data_is_refused_for_a_text_only_model() -> None:
    decision = load_matrix().check("gpt-4.1-mini", "2025-04-14", "swedencentral", "standard", vision=True)
    assert not decision.allowed
    assert "does not accept images" in decision.reasons[0]


def test_every_reason_is_given_when_several_rules_fail() -> None:
    decision = load_matrix().check("gpt-4o-mini", "2024-07-18", "eastus2", "global")
    assert len(decision.reasons) == 2


def test_a_justified_override_allows_a_region_and_says_why() -> None:
    from ftstack.catalog import CapabilityOverride

    override = CapabilityOverride(
        "gpt-4o-mini",
        "2024-07-18",
        "East US 2",
        TrainingType.STANDARD,
        "enabled for our subscription by support case 123",
    )
    decision = load_matrix().check("gpt-4o-mini", "2024-07-18", "eastus2", "standard", overrides=[override])
    assert decision.allowed
    assert decision.override == override
    assert "support case 123" in decision.reasons[0]


def test_region_display_names_are_accepted_like_arm_names() -> None:
    assert load_matrix().check("gpt-4o", "2024-08-06", "Sweden Central", "standard").region == "swedencentral"


def test_unknown_model_version_and_region_name_what_exists() -> None:
    matrix = load_matrix()
    with pytest.raises(UnknownModelError, match="gpt-4o-mini"):
        matrix.row("gpt-5", "1")
    with pytest.raises(UnknownVersionError, match="2024-07-18"):
        matrix.row("gpt-4o-mini", "2023-01-01")
    with pytest.raises(UnknownRegionError, match="did you mean swedencentral"):
        matrix.regions.get("swedencentrl")


def test_an_omitted_version_resolves_only_when_one_version_fits() -> None:
    matrix = load_matrix()
    assert matrix.resolve_row("gpt-4o-mini", None).version == "2024-07-18"
    with pytest.raises(AmbiguousVersionError, match="1106, 0125"):
        matrix.resolve_row("gpt-35-turbo", None, "eastus2", TrainingType.STANDARD)


def test_training_types_map_to_the_azure_api_values() -> None:
    assert TrainingType.STANDARD.azure_value == "Standard"
    assert TrainingType.GLOBAL.azure_value == "GlobalStandard"
