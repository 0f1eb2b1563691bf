"""Deployment types of fine-tuned models: which SKUs a base model's fine-tuned models can use, and where.

Loaded from data/deployment_types.yaml; every rule carries its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import CatalogError
from ftstack.catalog.matrix import load_matrix
from ftstack.catalog.provenance import Provenance, SourceSpec, provenance
from ftstack.catalog.regions import DataZone

Scope = Literal["regions", "dataZones", "anyRegion"]


class _ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    version: str
    regions: list[str] | None = None
    source: str | None = None


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    sku: str
    scope: Scope
    data_zones: list[DataZone] = Field(default_factory=list, alias="dataZones")
    source: str
    note: str | None = None
    models: list[_ModelEntry]

    @model_validator(mode="after")
    def _scope_fields(self) -> _Rule:
        for entry in self.models:
            if (self.scope == "regions") != (entry.regions is not None):
                label = f"{entry.model} ({entry.version})"
                raise ValueError(f"{self.sku}: {label}: regions are given exactly with scope regions")
        if (self.scope == "dataZones") != bool(self.data_zones):
            raise ValueError(f"{self.sku}: dataZones are given exactly with scope dataZones")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    sources: dict[str, SourceSpec]
    deployment_types: list[_Rule] = Field(alias="deploymentTypes")

    @model_validator(mode="after")
    def _consistent(self) -> _File:
        matrix = load_matrix()
        skus = [r.sku for r in self.deployment_types]
        if len(set(skus)) != len(skus):
            raise ValueError("duplicate sku")
        for rule in self.deployment_types:
            cited = [rule.source, *(e.source for e in rule.models if e.source)]
            for source in cited:
                if source not in self.sources:
                    raise ValueError(f"{rule.sku}: unknown source {source!r}")
            keys = [(e.model, e.version) for e in rule.models]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{rule.sku}: duplicate model entry")
            for entry in rule.models:
                matrix.row(entry.model, entry.version)
                for region in entry.regions or []:
                    if region not in matrix.regions:
                        raise ValueError(
                            f"{rule.sku}: {entry.model} ({entry.version}): unknown region {region!r}"
                        )
        return self


@dataclass(frozen=True)
class DeploymentTypeRule:
    """One deployment type (sku name) and the base models whose fine-tuned models may use it, with where."""

    sku: str
    scope: Scope
    data_zones: tuple[DataZone, ...]
    note: str | None
    regions: dict[tuple[str, str], tuple[str, ...] | None]  # (model, version) -> regions (scope regions only)
    provenance: dict[tuple[str, str], Provenance]  # (model, version) -> source of that entry
    rule_provenance: Provenance

    def offers(self, model: str, version: str) -> bool:
        """True when fine-tuned models of (model, version) may use this SKU somewhere."""
        return (model, version) in self.regions

    def where(self, model: str, version: str) -> str:
        """Where fine-tuned (model, version) models may use this SKU, in words."""
        if self.scope == "anyRegion":
            return "any region"
        if self.scope == "dataZones":
            return f"regions of the {', '.join(self.data_zones)} data zone"
        return ", ".join(self.regions.get((model, version)) or ()) or "no region"


@dataclass(frozen=True)
class SkuDecision:
    """Whether a fine-tuned model may be deployed with a SKU in a region, why, and the SKUs that would work."""

    allowed: bool
    sku: str
    label: str
    region: str
    reason: str
    usable: tuple[str, ...]

    @property
    def message(self) -> str:
        """The one-line explanation with the SKUs that would work (for config problems)."""
        usable = ", ".join(self.usable) or "no deployment type"
        return f"{self.reason}; fine-tuned {self.label} models in {self.region} can use: {usable}"


class DeploymentTypeTable:
    """All deployment-type rules for fine-tuned models; answers which SKU a model can use where."""

    def __init__(self, rules: list[DeploymentTypeRule]):
        self.rules = rules

    def skus(self) -> list[str]:
        """Every SKU name the table knows, in file order."""
        return [r.sku for r in self.rules]

    def rule(self, sku: str) -> DeploymentTypeRule:
        """The rule for `sku`; CatalogError naming the known SKUs otherwise."""
        for rule in self.rules:
            if rule.sku == sku:
                return rule
        raise CatalogError(f"unknown deployment type {sku!r}; known: {', '.join(self.skus())}")

    def usable_skus(self, model: str, version: str, region: str) -> tuple[str, ...]:
        """The SKUs fine-tuned (model, version) models can use on an account in `region`."""
        return tuple(r.sku for r in self.rules if self._allows(r, model, version, region))

    def check(self, sku: str, model: str, version: str, region: str) -> SkuDecision:
        """Decide whether a fine-tuned (model, version) model can be deployed with `sku` in `region`."""
        matrix = load_matrix()
        row = matrix.row(model, version)
        where = matrix.regions.get(region).name
        rule = self.rule(sku)
        usable = self.usable_skus(row.model, row.version, where)
        if self._allows(rule, row.model, row.version, where):
            reason = (
                f"{sku} is offered for fine-tuned {row.label} models in {rule.where(row.model, row.version)}"
            )
            return SkuDecision(True, sku, row.label, where, reason, usable)
        if not rule.offers(row.model, row.version):
            reason = f"{sku} is not offered for fine-tuned {row.label} models"
            if rule.note and not rule.regions:
                reason += f" ({rule.note})"
        else:
            reason = (
                f"{sku} deployments of fine-tuned {row.label} models are available in "
                f"{rule.where(row.model, row.version)}, not {where}"
            )
        return SkuDecision(False, sku, row.label, where, reason, usable)

    @staticmethod
    def _allows(rule: DeploymentTypeRule, model: str, version: str, region: str) -> bool:
        if not rule.offers(model, version):
            return False
        if rule.scope == "anyRegion":
            return True
        if rule.scope == "dataZones":
            return load_matrix().regions.get(region).data_zone in rule.data_zones
        return region in (rule.regions[(model, version)] or ())


@cache
def load_deployment_types() -> DeploymentTypeTable:
    """The shipped deployment-type table for fine-tuned models, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "deployment_types.yaml", _File)
    rules = [
        DeploymentTypeRule(
            sku=r.sku,
            scope=r.scope,
            data_zones=tuple(r.data_zones),
            note=r.note,
            regions={
                (e.model, e.version): tuple(e.regions) if e.regions is not None else None for e in r.models
            },
            provenance={
                (e.model, e.version): provenance(parsed.sources, e.source or r.source) for e in r.models
            },
            rule_provenance=provenance(parsed.sources, r.source),
        )
        for r in parsed.deployment_types
    ]
    return DeploymentTypeTable(rules)
