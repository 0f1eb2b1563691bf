"""The resource types a production stack may declare and where each lives, from data/resource_types.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftstack.catalog.data_file import load_data_file

LocationKind = Literal["regional", "global", "none"]

# `azure-native:<module>[/<api version>]:<Kind>`; the version module is `v20250601` or `v20250601preview`.
_AZURE_NATIVE = re.compile(
    r"^azure-native:(?P<module>[A-Za-z]+)(?:/(?P<version>v[0-9A-Za-z]+))?:(?P<kind>[A-Za-z]+)$"
)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(min_length=3)
    location: LocationKind


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    source: dict[str, object]
    azure_native: list[_Entry] = Field(alias="azureNative")
    tokens: list[_Entry]

    @model_validator(mode="after")
    def _well_formed(self) -> _File:
        for entry in self.azure_native:
            if not re.fullmatch(r"[a-z]+:[A-Z][A-Za-z]+", entry.type):
                raise ValueError(f"azureNative type {entry.type!r} must read module:Kind")
        names = [e.type for e in (*self.azure_native, *self.tokens)]
        if len(set(names)) != len(names):
            raise ValueError("duplicate resource type")
        return self


@dataclass(frozen=True)
class AzureNativeType:
    """An azure-native type token taken apart: module, kind and API version module (None: the default)."""

    module: str
    kind: str
    api_version: str | None

    @property
    def is_preview(self) -> bool:
        """True when the token pins a preview API version (`v20250601preview`)."""
        return self.api_version is not None and "preview" in self.api_version.lower()


def parse_azure_native(type_token: str) -> AzureNativeType | None:
    """The parts of an azure-native type token, or None for any other provider's token."""
    match = _AZURE_NATIVE.match(type_token)
    if match is None:
        return None
    return AzureNativeType(match["module"], match["kind"], match["version"])


class ResourceTypeTable:
    """The allowed types, looked up by type token (azure-native ones in any API version)."""

    def __init__(self, azure_native: dict[str, LocationKind], tokens: dict[str, LocationKind]):
        self._azure_native = azure_native
        self._tokens = tokens

    def location_kind(self, type_token: str) -> LocationKind | None:
        """Where a resource of this type lives, or None when the type is not on the list."""
        parsed = parse_azure_native(type_token)
        if parsed is not None:
            return self._azure_native.get(f"{parsed.module}:{parsed.kind}")
        return self._tokens.get(type_token)

    def allows(self, type_token: str) -> bool:
        """True when a production stack may declare this type."""
        return self.location_kind(type_token) is not None

    def names(self) -> list[str]:
        """Every listed type, azure-native ones as `azure-native:<module>:<Kind>`."""
        return [f"azure-native:{t}" for t in self._azure_native] + list(self._tokens)


@cache
def load_resource_types() -> ResourceTypeTable:
    """The shipped resource-type allow-list, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "resource_types.yaml", _File)
    return ResourceTypeTable(
        {e.type: e.location for e in parsed.azure_native}, {e.type: e.location for e in parsed.tokens}
    )
