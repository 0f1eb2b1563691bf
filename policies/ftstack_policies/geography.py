"""Residency questions answered from the shipped region table (`ftstack.catalog`), never a copy of it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from ftstack.catalog import CatalogError, Region, load_regions
from ftstack.catalog.deployment_types import load_deployment_types


class Scope(Enum):
    """Where a deployment SKU may process data."""

    REGION = "region"
    DATA_ZONE = "data zone"
    NONE = "none"


_SCOPES = {"regions": Scope.REGION, "dataZones": Scope.DATA_ZONE, "anyRegion": Scope.NONE}


def sku_scope(sku: str) -> Scope:
    """The residency a deployment SKU gives, from the deployment-type table; an unknown SKU gives none."""
    try:
        return _SCOPES[load_deployment_types().rule(sku).scope]
    except CatalogError:
        return Scope.NONE  # fail closed: a SKU nobody has described cannot be shown to keep data anywhere


def region_or_none(name: str) -> Region | None:
    """The region for an ARM or display name, or None when the table does not know it."""
    try:
        return load_regions().get(name)
    except CatalogError:
        return None


def in_any(region: Region, geographies: Sequence[str]) -> bool:
    """True when `region` lies in at least one of `geographies`."""
    return any(region.in_geography(g) for g in geographies)


def zone_within(region: Region, geographies: Sequence[str]) -> bool:
    """True when every region of `region`'s data zone lies in one of `geographies`."""
    if region.data_zone is None:
        return False
    zone = [r for r in load_regions() if r.data_zone == region.data_zone]
    return all(in_any(r, geographies) for r in zone)


def geographies_text(geographies: Sequence[str]) -> str:
    """`EU` or `EU, Switzerland` for messages."""
    return ", ".join(geographies)
