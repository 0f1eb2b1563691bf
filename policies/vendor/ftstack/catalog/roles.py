"""Built-in Azure roles by readable name, with their role definition ids, loaded from data/roles.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import CatalogError

GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class _Role(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    id: str = Field(pattern=GUID)
    purpose: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    source: dict[str, object]
    roles: list[_Role]
    privileged: list[_Role] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> _File:
        for attr in ("name", "id"):
            values = [getattr(r, attr) for r in (*self.roles, *self.privileged)]
            if len(set(values)) != len(values):
                raise ValueError(f"duplicate role {attr}")
        return self


@dataclass(frozen=True)
class BuiltInRole:
    """A built-in role: readable name, role definition GUID and what it is for."""

    name: str
    guid: str
    purpose: str

    def definition_id(self, subscription_id: str) -> str:
        """The role definition's ARM id in a subscription (the form role assignments take)."""
        return (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{self.guid}"
        )


class RoleTable:
    """The built-in roles a stack may grant, by name, and the privileged roles it never grants."""

    def __init__(self, roles: list[BuiltInRole], privileged: list[BuiltInRole] | None = None):
        self._roles = {r.name: r for r in roles}
        self._privileged = {r.guid: r for r in privileged or []}

    def by_guid(self, guid: str) -> BuiltInRole | None:
        """The grantable role with this role definition GUID (any case), or None."""
        return next((r for r in self._roles.values() if r.guid == guid.strip().lower()), None)

    def privileged(self, guid: str) -> BuiltInRole | None:
        """The privileged role (Owner, Contributor, ...) with this role definition GUID, or None."""
        return self._privileged.get(guid.strip().lower())

    def names(self) -> list[str]:
        """Every role name, in file order."""
        return list(self._roles)

    def get(self, name: str) -> BuiltInRole:
        """The role called `name`; CatalogError naming the known roles otherwise."""
        try:
            return self._roles[name]
        except KeyError:
            raise CatalogError(f"unknown role {name!r}; known roles: {', '.join(self._roles)}") from None


@cache
def load_roles() -> RoleTable:
    """The shipped built-in role table, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "roles.yaml", _File)
    return RoleTable(
        [BuiltInRole(r.name, r.id, r.purpose) for r in parsed.roles],
        [BuiltInRole(r.name, r.id, r.purpose) for r in parsed.privileged],
    )
