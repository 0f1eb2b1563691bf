"""Quota on the local Azure, without HTTP: the usages of each region (`OpenAI.<Sku>.<model>`) and the
model capacities, from knobs (limits, and usage from outside the local Azure) plus the deployments that
exist (the sum of their capacities per SKU and base model, as Azure counts them).

A fine-tuned deployment is counted against its base model's usage name (`OpenAI.Standard.gpt-4o-mini`):
Azure's own name for fine-tuned deployments is not confirmed (see ftstack/preflight/usage_names.py), and the
preflight falls back to that name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ftstack.catalog import load_matrix

DEFAULT_LIMIT = 1000.0  # generous, so that stacks fit unless a test or demo sets a limit


class UsageKnob(BaseModel):
    """One usage's knob: its limit, and what is used outside the local Azure's deployments."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    limit: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    current_value: float | None = Field(default=None, alias="currentValue", ge=0, allow_inf_nan=False)


class QuotaPatch(BaseModel):
    """`quota` in POST /local/knobs: `defaultLimit`, and per region and usage name a limit and a current
    value (merged into what is set; a usage set to null goes back to the default)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    default_limit: float | None = Field(default=None, alias="defaultLimit", ge=0, allow_inf_nan=False)
    usages: dict[str, dict[str, UsageKnob | None]] = Field(default_factory=dict)


@dataclass
class QuotaKnobs:
    """The quota knobs: a default limit for every usage, and per (region, usage name) overrides."""

    default_limit: float = DEFAULT_LIMIT
    usages: dict[tuple[str, str], UsageKnob] = field(default_factory=dict)
    # The usage names as first spelled, for the admin view (lookups ignore case).
    names: dict[tuple[str, str], str] = field(default_factory=dict)

    def merge(self, patch: QuotaPatch) -> None:
        """Apply a validated patch."""
        if patch.default_limit is not None:
            self.default_limit = patch.default_limit
        for region, names in patch.usages.items():
            for name, knob in names.items():
                key = (_region_key(region), name.casefold())
                if knob is None:
                    self.usages.pop(key, None)
                    self.names.pop(key, None)
                else:
                    self.names.setdefault(key, name)
                    before = self.usages.get(key, UsageKnob())
                    self.usages[key] = UsageKnob(
                        limit=knob.limit if knob.limit is not None else before.limit,
                        current_value=knob.current_value
                        if knob.current_value is not None
                        else before.current_value,
                    )

    def to_json(self) -> dict[str, Any]:
        """The knobs as the admin API shows them."""
        usages: dict[str, dict[str, Any]] = {}
        for key, knob in sorted(self.usages.items()):
            usages.setdefault(key[0], {})[self.names.get(key, key[1])] = knob.model_dump(
                by_alias=True, exclude_none=True
            )
        return {"defaultLimit": self.default_limit, "usages": usages}

    def limit(self, region: str, name: str) -> float:
        """The limit of a usage in a region."""
        knob = self.usages.get((_region_key(region), name.casefold()))
        return knob.limit if knob is not None and knob.limit is not None else self.default_limit

    def outside(self, region: str, name: str) -> float:
        """What is used outside the local Azure's deployments."""
        knob = self.usages.get((_region_key(region), name.casefold()))
        return knob.current_value if knob is not None and knob.current_value is not None else 0.0


@dataclass(frozen=True)
class DeployedCapacity:
    """One deployment that exists, as quota counts it."""

    region: str
    sku: str
    capacity: int
    model_id: str


def usage_name(sku: str, model_id: str) -> str | None:
    """`OpenAI.<Sku>.<base model>` for a deployment serving `model_id` (a base model id such as
    `gpt-4o-mini-2024-07-18` or a fine-tuned one starting with it); None for a model the matrix does not know."""
    for row in load_matrix().rows:
        if model_id == row.azure_base_model or model_id.startswith(f"{row.azure_base_model}."):
            return f"OpenAI.{sku}.{row.model}"
    return None


def usages_json(
    knobs: QuotaKnobs, region: str, deployed: list[DeployedCapacity], skus: list[str]
) -> dict[str, Any]:
    """The `usages.list(location)` answer for `region`: one usage per SKU and matrix model, shaped like the
    REST spec's Usage (unit, name{value, localizedValue}, quotaPeriod, limit, currentValue, nextResetTime,
    status)."""
    used: dict[str, float] = {}
    for d in deployed:
        name = usage_name(d.sku, d.model_id)
        if name is not None and _region_key(d.region) == _region_key(region):
            used[name.casefold()] = used.get(name.casefold(), 0.0) + d.capacity
    names = sorted({f"OpenAI.{sku}.{row.model}" for sku in skus for row in load_matrix().rows})
    value = []
    for name in names:
        current = used.get(name.casefold(), 0.0) + knobs.outside(region, name)
        value.append(
            {
                "unit": "Count",
                "name": {
                    "value": name,
                    "localizedValue": f"Tokens Per Minute (thousands) - {name.split('.', 2)[2]}",
                },
                "quotaPeriod": "",
                "limit": knobs.limit(region, name),
                "currentValue": current,
                "nextResetTime": "",
                "status": "Included",
            }
        )
    return {"value": value}


def model_capacities_json(
    knobs: QuotaKnobs,
    places: list[tuple[str, str]],
    deployed: list[DeployedCapacity],
    skus: list[str],
    model: str,
    version: str,
    subscription: str,
) -> dict[str, Any]:
    """The `modelCapacities` answer for (model, version) at `places` (region, SKU): the room each usage has
    left, shaped like the REST spec's ListModelCapacities example."""
    value = []
    for region, sku in places:
        usages = {u["name"]["value"]: u for u in usages_json(knobs, region, deployed, skus)["value"]}
        usage = usages.get(f"OpenAI.{sku}.{model}")
        if usage is not None:
            free = max(0.0, float(usage["limit"]) - float(usage["currentValue"]))
            value.append(
                {
                    "id": f"/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/locations/{region}/"
                    f"models/OpenAI.{model}.{version}/skuCapacities/{sku}",
                    "type": "Microsoft.CognitiveServices/locations/models/skuCapacities",
                    "name": sku,
                    "location": region,
                    "properties": {
                        "model": {"format": "OpenAI", "name": model, "version": version},
                        "skuName": sku,
                        "availableCapacity": free,
                        "availableFinetuneCapacity": free,
                    },
                }
            )
    return {"value": value}


def _region_key(region: str) -> str:
    return region.replace(" ", "").lower()
