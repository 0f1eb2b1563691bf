"""The capability matrix and region table: pure data and queries, no Azure SDK and no Pulumi."""

from ftstack.catalog.deployment_types import (
    DeploymentTypeRule,
    DeploymentTypeTable,
    SkuDecision,
    load_deployment_types,
)
from ftstack.catalog.dns_zones import PrivateLinkFacts, dns_zones_for, private_link_facts
from ftstack.catalog.errors import (
    AmbiguousVersionError,
    CatalogError,
    UnknownModelError,
    UnknownRegionError,
    UnknownVersionError,
)
from ftstack.catalog.matrix import (
    CapabilityMatrix,
    CapabilityOverride,
    Decision,
    ModelRow,
    TrainingType,
    load_matrix,
)
from ftstack.catalog.regions import Region, RegionTable, load_regions
from ftstack.catalog.roles import BuiltInRole, RoleTable, load_roles

__all__ = [
    "AmbiguousVersionError",
    "BuiltInRole",
    "CapabilityMatrix",
    "CapabilityOverride",
    "CatalogError",
    "Decision",
    "DeploymentTypeRule",
    "DeploymentTypeTable",
    "ModelRow",
    "PrivateLinkFacts",
    "Region",
    "RegionTable",
    "RoleTable",
    "SkuDecision",
    "TrainingType",
    "UnknownModelError",
    "UnknownRegionError",
    "UnknownVersionError",
    "dns_zones_for",
    "load_deployment_types",
    "load_matrix",
    "load_regions",
    "load_roles",
    "private_link_facts",
]
