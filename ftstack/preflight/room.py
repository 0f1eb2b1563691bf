"""How much room a SKU of a fine-tuned model has in a region, from the usages and the model capacities,
each read once per region or model and kept for the run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftstack.catalog import ModelRow, load_regions
from ftstack.preflight.quota import SkuCapacity, Usage
from ftstack.preflight.reader import QuotaReader
from ftstack.preflight.usage_names import find_usage


@dataclass(frozen=True)
class Room:
    """The room for one (SKU, base model, region): the quota's and the capacity API's, each when known."""

    usage: Usage | None
    capacity: SkuCapacity | None

    @property
    def quota_free(self) -> float | None:
        """Free quota (limit minus current value), when a usage is known."""
        return self.usage.free if self.usage is not None else None

    @property
    def capacity_free(self) -> float | None:
        """Available fine-tune capacity, when the capacity API gave it."""
        return self.capacity.available_finetune_capacity if self.capacity is not None else None

    @property
    def free(self) -> float | None:
        """The tighter of the known figures; None when neither is known."""
        known = [v for v in (self.quota_free, self.capacity_free) if v is not None]
        return min(known) if known else None


@dataclass
class QuotaView:
    """The reader's answers, cached: one usages read per region, one capacities read per model."""

    reader: QuotaReader
    _usages: dict[str, list[Usage] | None] = field(default_factory=dict)
    _capacities: dict[tuple[str, str], list[SkuCapacity] | None] = field(default_factory=dict)

    def usages(self, region: str) -> list[Usage] | None:
        """The region's usages (None: nothing known there)."""
        if region not in self._usages:
            self._usages[region] = self.reader.usages(region)
        return self._usages[region]

    def capacities(self, base: ModelRow) -> list[SkuCapacity] | None:
        """The model's capacities in every location (None: the API offers none)."""
        key = (base.model, base.version)
        if key not in self._capacities:
            self._capacities[key] = self.reader.model_capacities(base.model, base.version)
        return self._capacities[key]

    def room(self, sku: str, base: ModelRow, region: str) -> Room:
        """The room for `sku` deployments of fine-tuned `base` models on an account in `region`."""
        usages = self.usages(region)
        usage = find_usage(usages, sku, base.model) if usages else None
        capacity = None
        for item in self.capacities(base) or []:
            if item.sku.casefold() == sku.casefold() and _same_region(item.location, region):
                capacity = item
                break
        return Room(usage, capacity)


def _same_region(location: str, region: str) -> bool:
    """ARM answers locations as `WestUS`, `westus` or `West US`; compare them as the region table does."""
    regions = load_regions()
    if location in regions and region in regions:
        return regions.get(location).name == regions.get(region).name
    return "".join(location.split()).casefold() == "".join(region.split()).casefold()
