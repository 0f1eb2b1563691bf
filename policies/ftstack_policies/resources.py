"""How the policies recognise resources and read their properties (camelCase Pulumi schema names).

Type tokens are matched with or without an explicit API version module (`cognitiveservices/v20250601`), so
a hand-written resource pinned to an API version is checked like the components' resources.
Properties arrive as plain dicts in direct calls and as read-only Mapping proxies in the analyzer; every
reader accepts both and never assumes a key is present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

ACCOUNT = ("cognitiveservices", "Account")
DEPLOYMENT = ("cognitiveservices", "Deployment")
PRIVATE_ENDPOINT = ("network", "PrivateEndpoint")
RESOURCE_GROUP = ("resources", "ResourceGroup")
# The FineTuningJob dynamic resource (components/fine_tuning_job.py TYPE_TOKEN; a test keeps them equal).
FINE_TUNING_JOB_TYPE = "pulumi-python:dynamic/ftstack:FineTuningJob"
# Locations that are no Azure region: private DNS zones and other global resources.
NON_REGIONAL_LOCATIONS = frozenset({"global"})

_AZURE_NATIVE = re.compile(r"^azure-native:(?P<module>[A-Za-z]+)(?:/v[0-9A-Za-z]+)?:(?P<kind>[A-Za-z]+)$")


def is_type(resource_type: str, kind: tuple[str, str]) -> bool:
    """True when `resource_type` is the azure-native resource `kind` (module, name), any API version."""
    match = _AZURE_NATIVE.match(resource_type)
    return match is not None and (match["module"], match["kind"]) == kind


def is_azure_native(resource_type: str) -> bool:
    """True for any azure-native resource type."""
    return _AZURE_NATIVE.match(resource_type) is not None


def is_fine_tuning_job(resource_type: str) -> bool:
    """True for the FineTuningJob dynamic resource, however it was declared."""
    return resource_type == FINE_TUNING_JOB_TYPE


def mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is a mapping (dict or analyzer proxy), else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def text(value: object) -> str | None:
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def arm_properties(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The nested ARM `properties` object (cognitiveservices keeps it; network types flatten it)."""
    return mapping(props.get("properties"))


def display(resource_name: str, props: Mapping[str, Any], name_key: str) -> str:
    """How a message names a resource: its Azure name when set, with the Pulumi name if different."""
    azure_name = text(props.get(name_key))
    if azure_name and azure_name != resource_name:
        return f"{azure_name!r} (Pulumi resource {resource_name!r})"
    return repr(resource_name)


def sku_name(props: Mapping[str, Any]) -> str | None:
    """The `sku.name` of a resource, if set."""
    return text(mapping(props.get("sku")).get("name"))


def linked(resource: PolicyResource) -> Iterator[PolicyResource]:
    """The resources `resource` depends on: property dependencies first, then plain dependencies."""
    seen: set[str] = set()
    for group in (*resource.property_dependencies.values(), resource.dependencies):
        for other in group:
            if other.urn not in seen:
                seen.add(other.urn)
                yield other


def linked_account(resource: PolicyResource) -> PolicyResource | None:
    """The account a deployment or job depends on (through its inputs), if the stack declares it."""
    return next((other for other in linked(resource) if is_type(other.resource_type, ACCOUNT)), None)


def of_type(resources: Sequence[PolicyResource], kind: tuple[str, str]) -> list[PolicyResource]:
    """The stack's resources of one azure-native kind."""
    return [r for r in resources if is_type(r.resource_type, kind)]


def fine_tuning_jobs(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The stack's FineTuningJob resources."""
    return [r for r in resources if is_fine_tuning_job(r.resource_type)]


def job_region(job: PolicyResource) -> str | None:
    """Where a job trains: its `region` input, or else the location of the account it depends on."""
    region = text(job.props.get("region"))
    if region:
        return region
    account = linked_account(job)
    return text(account.props.get("location")) if account is not None else None
