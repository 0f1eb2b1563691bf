"""The capability matrix and region table: pure data and queries, no Azure SDK and no Pulumi.

The other fact tables load from their own modules (`ftstack.catalog.deployment_types`, `.dns_zones`,
`.roles`, `.service_limits`), so a command that needs only the matrix does not pay for them.
"""

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
    normalize_method,
)
from ftstack.catalog.regions import Region, RegionTable, load_regions

__all__ = [
    "AmbiguousVersionError",
    "CapabilityMatrix",
    "CapabilityOverride",
    "CatalogError",
    "Decision",
    "ModelRow",
    "Region",
    "RegionTable",
    "TrainingType",
    "UnknownModelError",
    "UnknownRegionError",
    "UnknownVersionError",
    "load_matrix",
    "load_regions",
    "normalize_method",
]
