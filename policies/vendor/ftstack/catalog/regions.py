"""The region table: ARM names, display names, geographies and data zones, loaded from data/regions.yaml."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import UnknownRegionError

DataZone = Literal["EU", "US"]


class _Country(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    aliases: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)


class _Region(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(pattern=r"^[a-z0-9]+$")
    display_name: str = Field(alias="displayName")
    country: str
    data_zone: DataZone | None = Field(alias="dataZone")


class _RegionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schemaVersion: Literal[1]  # noqa: N815 (data-file key)
    source: dict[str, object]
    countries: list[_Country]
    regions: list[_Region]

    @model_validator(mode="after")
    def _consistent(self) -> _RegionFile:
        names = [c.name for c in self.countries]
        if len(set(names)) != len(names):
            raise ValueError("duplicate country")
        arm = [r.name for r in self.regions]
        if len(set(arm)) != len(arm):
            raise ValueError("duplicate region")
        for region in self.regions:
            if region.country not in names:
                raise ValueError(f"region {region.name}: unknown country {region.country!r}")
        return self


@dataclass(frozen=True)
class Region:
    """One Azure region: ARM name (`swedencentral`), display name, country, wider geographies, data zone."""

    name: str
    display_name: str
    country: str
    geographies: frozenset[str]
    data_zone: DataZone | None

    def in_geography(self, geography: str) -> bool:
        """True when this region lies in `geography` (a country, an alias such as `US`, or a group like `EU`)."""
        return geography.casefold() in {g.casefold() for g in self.geographies}

    def __str__(self) -> str:
        return self.name


class RegionTable:
    """All known regions, looked up by ARM name or display name in any case and spacing."""

    def __init__(self, regions: list[Region], geographies: frozenset[str]):
        self._regions = {r.name: r for r in regions}
        self._by_key = {_key(r.name): r for r in regions} | {_key(r.display_name): r for r in regions}
        self.geographies = geographies

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._by_key

    def names(self) -> list[str]:
        """Every ARM region name, in table order."""
        return list(self._regions)

    def get(self, name: str) -> Region:
        """The region for an ARM name or display name; UnknownRegionError naming close matches otherwise."""
        region = self._by_key.get(_key(name))
        if region is None:
            close = difflib.get_close_matches(_key(name), list(self._by_key), n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(self._by_key[c].name for c in close)}?)" if close else ""
            raise UnknownRegionError(
                f"unknown region {name!r}{hint}; known regions: {', '.join(self._regions)}"
            )
        return region

    def is_geography(self, geography: str) -> bool:
        """True when a residency policy may name `geography` (a known country, alias or group)."""
        return geography.casefold() in {g.casefold() for g in self.geographies}


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


@cache
def load_regions() -> RegionTable:
    """The shipped region table, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "regions.yaml", _RegionFile)
    countries = {c.name: c for c in parsed.countries}
    all_geos: set[str] = set()
    regions = []
    for r in parsed.regions:
        country = countries[r.country]
        geos = frozenset({country.name, *country.aliases, *country.groups})
        all_geos |= geos
        regions.append(Region(r.name, r.display_name, r.country, geos, r.data_zone))
    return RegionTable(regions, frozenset(all_geos))
