"""Private endpoint facts per account kind (group id, private DNS zones), loaded from data/dns_zones.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import CatalogError


class _Kind(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    group_id: str = Field(alias="groupId")
    zones: list[str] = Field(min_length=1)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    source: dict[str, object]
    kinds: dict[str, _Kind]


@dataclass(frozen=True)
class PrivateLinkFacts:
    """What a private endpoint to an account of one kind needs: its group id and its DNS zones."""

    kind: str
    group_id: str
    zones: tuple[str, ...]


@cache
def _load() -> dict[str, PrivateLinkFacts]:
    parsed = load_data_file("ftstack.catalog", "dns_zones.yaml", _File)
    return {kind: PrivateLinkFacts(kind, k.group_id, tuple(k.zones)) for kind, k in parsed.kinds.items()}


def private_link_facts(kind: str) -> PrivateLinkFacts:
    """The private endpoint facts for an account `kind`; CatalogError naming the known kinds otherwise."""
    facts = _load()
    try:
        return facts[kind]
    except KeyError:
        raise CatalogError(f"unknown account kind {kind!r}; known kinds: {', '.join(facts)}") from None


def dns_zones_for(kind: str) -> tuple[str, ...]:
    """The private DNS zones an endpoint to an account of `kind` must be registered in."""
    return private_link_facts(kind).zones
