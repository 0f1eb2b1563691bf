"""Where the stack's residency settings let it go: an account region and a deployment SKU there.

The same semantics as the policy pack (DESIGN.md "Residency"): Standard and ProvisionedManaged stay in the
region, DataZoneStandard in the region's data zone, Global* and developer tiers give no residency; they are
asked here from the core catalog because `ftstack` never imports the policy pack.
"""

from __future__ import annotations

from ftstack.catalog import CatalogError, Region, load_regions
from ftstack.catalog.deployment_types import load_deployment_types
from ftstack.config.schema import ResidencyConfig


def account_region_allowed(residency: ResidencyConfig, region: str) -> bool:
    """True when an account (and its standard training) may live in `region`."""
    if not residency.allowed_geographies:
        return True
    return _in_any(load_regions().get(region), residency.allowed_geographies)


def deployment_allowed(residency: ResidencyConfig, sku: str, region: str) -> bool:
    """True when a deployment with `sku` on an account in `region` keeps to the residency settings."""
    if sku not in residency.allowed_deployment_skus or not account_region_allowed(residency, region):
        return False
    geographies = residency.allowed_geographies
    if not geographies:
        return True
    try:
        scope = load_deployment_types().rule(sku).scope
    except CatalogError:
        return False  # fail closed: a SKU nobody has described cannot be shown to keep data anywhere
    if scope == "regions":
        return True
    if scope == "dataZones":
        home = load_regions().get(region)
        zone = [r for r in load_regions() if home.data_zone is not None and r.data_zone == home.data_zone]
        return bool(zone) and all(_in_any(r, geographies) for r in zone)
    return False


def geographies_text(residency: ResidencyConfig) -> str:
    """` in EU` (or ` in EU, Switzerland`) for messages; empty when residency restricts nothing."""
    return f" in {', '.join(residency.allowed_geographies)}" if residency.allowed_geographies else ""


def _in_any(region: Region, geographies: list[str]) -> bool:
    return any(region.in_geography(g) for g in geographies)
