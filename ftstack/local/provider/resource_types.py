"""The per-type facts of the azure-native resources the local provider serves, read from data/resource_types.yaml.

A type's facts say where its ARM resource lives (the id template), which inputs are path parameters, how its
name is chosen when the program gives none, how its inputs sit in the ARM body, what forces a replacement and
what ARM alone computes. Types the file does not list get a generic spec built from their inputs.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ftstack.catalog.data_file import load_data_file

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
SUBSCRIPTION_PARAM = "subscriptionId"


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class TypeDefaults(_Model):
    """Facts shared by the listed types unless a type says otherwise."""

    arm_top_level: tuple[str, ...]
    computed: tuple[str, ...]


class TypeEntry(_Model):
    """One type's row as written in the data file."""

    api_version: str
    id: str
    name: str
    autoname: Literal["urn-suffix", "uuid", "none"] = "urn-suffix"
    flatten: bool
    arm_top_level: tuple[str, ...] | None = None
    nested_flatten: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    defaults: dict[str, Any] = Field(default_factory=dict)
    replace_on_changes: tuple[str, ...] = ()
    computed: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _name_is_a_path_parameter(self) -> TypeEntry:
        params = _PLACEHOLDER.findall(self.id)
        if self.name not in params:
            raise ValueError(f"name {self.name!r} is not a placeholder of the id template {self.id!r}")
        if params[-1] != self.name:
            raise ValueError(f"name {self.name!r} must be the last placeholder of {self.id!r}")
        return self


class GenericEntry(_Model):
    """The facts used for a type the file does not list."""

    api_version: str
    flatten: bool
    replace_on_changes: tuple[str, ...]
    computed: tuple[str, ...]


class ResourceTypesFile(_Model):
    """The whole data file."""

    defaults: TypeDefaults
    types: dict[str, TypeEntry]
    generic: GenericEntry

    @model_validator(mode="after")
    def _tokens_are_azure_native(self) -> ResourceTypesFile:
        bad = [token for token in self.types if not re.fullmatch(r"azure-native:\w+:\w+", token)]
        if bad:
            raise ValueError(f"not azure-native type tokens: {', '.join(bad)}")
        return self


class ResourceType(BaseModel):
    """Everything the provider needs to know about one type token, defaults applied."""

    model_config = ConfigDict(frozen=True)

    token: str
    api_version: str
    id_template: str
    name_param: str
    autoname: Literal["urn-suffix", "uuid", "none"]
    flatten: bool
    arm_top_level: tuple[str, ...]
    nested_flatten: tuple[str, ...]
    required: tuple[str, ...]
    defaults: dict[str, Any]
    replace_on_changes: tuple[str, ...]
    computed: tuple[str, ...]
    generic: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        """The inputs that are segments of the ARM id (never part of the body)."""
        return tuple(p for p in _PLACEHOLDER.findall(self.id_template) if p != SUBSCRIPTION_PARAM)

    def arm_id(self, inputs: dict[str, Any], subscription_id: str) -> str:
        """The ARM id of the resource these (known, unwrapped) inputs describe."""
        values = {SUBSCRIPTION_PARAM: subscription_id, **inputs}

        def value(match: re.Match[str]) -> str:
            raw = str(values[match.group(1)])
            return raw.rstrip("/") if match.group(1) in ("scope", "resourceUri") else raw

        return _PLACEHOLDER.sub(value, self.id_template)

    def params_from_id(self, arm_id: str) -> dict[str, str]:
        """The path parameters that an ARM id of this type carries (empty when it does not match)."""
        pattern = "^"
        last = 0
        for match in _PLACEHOLDER.finditer(self.id_template):
            pattern += re.escape(self.id_template[last : match.start()])
            greedy = match.group(1) in ("scope", "resourceUri")
            pattern += f"(?P<{match.group(1)}>{'.+' if greedy else '[^/]+'})"
            last = match.end()
        pattern += re.escape(self.id_template[last:]) + "$"
        found = re.match(pattern, arm_id, flags=re.IGNORECASE)
        if found is None:
            return {}
        return {k: v for k, v in found.groupdict().items() if k != SUBSCRIPTION_PARAM}


@cache
def _data() -> ResourceTypesFile:
    return load_data_file("ftstack.local.provider", "resource_types.yaml", ResourceTypesFile)


def known_tokens() -> tuple[str, ...]:
    """The type tokens the data file lists by name."""
    return tuple(_data().types)


def resource_type(token: str, inputs: dict[str, Any] | None = None) -> ResourceType:
    """The facts for `token`; for an unlisted type, generic facts built from the inputs' *Name keys."""
    data = _data()
    entry = data.types.get(token)
    if entry is not None:
        return ResourceType(
            token=token,
            api_version=entry.api_version,
            id_template=entry.id,
            name_param=entry.name,
            autoname=entry.autoname,
            flatten=entry.flatten,
            arm_top_level=entry.arm_top_level
            if entry.arm_top_level is not None
            else data.defaults.arm_top_level,
            nested_flatten=entry.nested_flatten,
            required=entry.required,
            defaults=entry.defaults,
            replace_on_changes=entry.replace_on_changes,
            computed=entry.computed if entry.computed is not None else data.defaults.computed,
        )
    return _generic_type(token, inputs or {}, data)


def _generic_type(token: str, inputs: dict[str, Any], data: ResourceTypesFile) -> ResourceType:
    """A best-effort spec: /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Local/<module>/..."""
    parts = token.split(":")
    module, type_name = (parts[1], parts[2]) if len(parts) == 3 else ("generic", parts[-1])
    own_segment = type_name[:1].lower() + type_name[1:]
    name_keys = [k for k in inputs if k.endswith("Name") and k != "resourceGroupName" and len(k) > 4]
    own = _own_name_param(type_name, name_keys)
    template = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    template += f"/providers/Microsoft.Local/{module}"
    for parent in (k for k in name_keys if k != own):
        template += f"/{parent[: -len('Name')]}s/{{{parent}}}"
    template += f"/{own_segment}s/{{{own}}}"
    return ResourceType(
        token=token,
        api_version=data.generic.api_version,
        id_template=template,
        name_param=own,
        autoname="urn-suffix",
        flatten=data.generic.flatten,
        arm_top_level=data.defaults.arm_top_level,
        nested_flatten=(),
        required=(),
        defaults={},
        replace_on_changes=data.generic.replace_on_changes,
        computed=data.generic.computed,
        generic=True,
    )


def _own_name_param(type_name: str, name_keys: list[str]) -> str:
    """The *Name input that names the resource itself: `<type>Name`, else one whose stem ends the type name."""
    exact = type_name[:1].lower() + type_name[1:] + "Name"
    if exact in name_keys:
        return exact
    for key in name_keys:
        stem = key[: -len("Name")]
        if stem and type_name.lower().endswith(stem.lower()):
            return key
    return exact
