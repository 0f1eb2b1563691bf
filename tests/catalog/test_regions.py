"""The region table: spellings, geographies and data zones."""

from __future__ import annotations

import pytest

from ftstack.catalog import load_matrix, load_regions


@pytest.mark.parametrize(
    "spelling", ["swedencentral", "Sweden Central", "SWEDEN central", " sweden  central "]
)
def test_arm_and_display_spellings_name_the_same_region(spelling: str) -> None:
    assert load_regions().get(spelling).name == "swedencentral"


def test_sweden_counts_for_eu_and_switzerland_and_norway_do_not() -> None:
    regions = load_regions()
    assert regions.get("swedencentral").in_geography("EU")
    assert not regions.get("switzerlandwest").in_geography("EU")
    assert not regions.get("norwayeast").in_geography("EU")
    assert regions.get("switzerlandwest").in_geography("Switzerland")


def test_us_regions_are_in_the_us_geography_and_data_zone() -> None:
    region = load_regions().get("North Central US")
    assert region.in_geography("US")
    assert region.in_geography("United States")
    assert region.data_zone == "US"


def test_regions_outside_eu_and_us_have_no_data_zone() -> None:
    assert load_regions().get("japaneast").data_zone is None
    assert load_regions().get("swedencentral").data_zone == "EU"


def test_every_region_the_matrix_names_is_in_the_region_table() -> None:
    matrix = load_matrix()
    named = {r for row in matrix.rows for r in row.standard_regions} | set(matrix.global_regions)
    assert named <= set(load_regions().names())
