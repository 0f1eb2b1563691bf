"""Each policy's settings as configured for the stack, falling back to the schema defaults.

The CLI fills in schema defaults before it configures the pack; a policy called directly (or configured
without them) reads the same defaults from `ftstack.check.policy_settings`, so there is one set.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pulumi_policy import PolicyConfigSchema

from ftstack.check.policy_settings import config_schemas, default_properties


@cache
def _defaults() -> dict[str, dict[str, Any]]:
    return default_properties()


def schema(policy: str) -> PolicyConfigSchema | None:
    """The policy's config schema (properties with defaults), or None when it takes no settings."""
    properties = config_schemas()[policy]
    return PolicyConfigSchema(properties=properties) if properties else None


def setting(config: Mapping[str, Any], policy: str, key: str) -> Any:
    """The value of `key` for `policy`: from the stack's config, else the schema default."""
    value = config.get(key)
    return _defaults()[policy][key] if value is None else value


def string_list(config: Mapping[str, Any], policy: str, key: str) -> list[str]:
    """A list-of-strings setting."""
    return [str(item) for item in setting(config, policy, key) or []]


def flag(config: Mapping[str, Any], policy: str, key: str) -> bool:
    """A boolean setting."""
    return bool(setting(config, policy, key))


def number(config: Mapping[str, Any], policy: str, key: str) -> float:
    """A numeric setting (gRPC hands every number over as a float)."""
    return float(setting(config, policy, key))
