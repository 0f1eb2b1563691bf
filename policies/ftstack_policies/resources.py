"""How the policies recognise resources, read their properties and follow their relations.

Type tokens are matched with or without an explicit API version module (`cognitiveservices/v20250601`), so
a hand-written resource pinned to an API version is checked like the components' resources.
Properties arrive as plain dicts in direct calls and as read-only Mapping proxies in the analyzer; every
reader accepts both and never assumes a key is present. A value unknown during preview raises inside the
analyzer's proxy; `peek` turns it into UNKNOWN for the stack policies, so one unknown value skips one
question instead of the whole policy.

Relations are read from the graph, never from what a resource says about itself: a job trains where its
account is, a deployment serves where the account it names is, an endpoint protects the account its
connection targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from ftstack.catalog.resource_types import parse_azure_native

from .dynamic import runs_fine_tuning_job_provider

ACCOUNT = ("cognitiveservices", "Account")
DEPLOYMENT = ("cognitiveservices", "Deployment")
PRIVATE_ENDPOINT = ("network", "PrivateEndpoint")
RESOURCE_GROUP = ("resources", "ResourceGroup")
ROLE_ASSIGNMENT = ("authorization", "RoleAssignment")
DIAGNOSTIC_SETTING = ("monitor", "DiagnosticSetting")
# The FineTuningJob dynamic resource (components/fine_tuning_job.py TYPE_TOKEN; a test keeps them equal).
FINE_TUNING_JOB_TYPE = "pulumi-python:dynamic/ftstack:FineTuningJob"
DYNAMIC_PREFIX = "pulumi-python:dynamic"
GLOBAL_LOCATION = "global"


class _Unknown:
    """A value that is unknown until the resource exists (preview)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

# Account endpoints name the account's custom subdomain: https://<subdomain>.openai.azure.com/
_ENDPOINT_HOST = re.compile(
    r"^https://(?P<subdomain>[a-z0-9-]+)\.(openai|cognitiveservices)\.azure\.com/?", re.I
)


def is_type(resource_type: str, kind: tuple[str, str]) -> bool:
    """True when `resource_type` is the azure-native resource `kind` (module, name), any API version."""
    parsed = parse_azure_native(resource_type)
    return parsed is not None and (parsed.module, parsed.kind) == kind


def is_azure_native(resource_type: str) -> bool:
    """True for any azure-native resource type."""
    return parse_azure_native(resource_type) is not None


def is_fine_tuning_job(resource_type: str, props: Mapping[str, Any] | None = None) -> bool:
    """True for the FineTuningJob dynamic resource, and for any dynamic resource whose provider is the
    FineTuningJob provider, whatever type token it was given."""
    if resource_type == FINE_TUNING_JOB_TYPE:
        return True
    if not resource_type.startswith(DYNAMIC_PREFIX) or props is None:
        return False
    return runs_fine_tuning_job_provider(peek(props, "__provider"))


def peek(props: Mapping[str, Any], key: str) -> Any:
    """`props[key]` (None when absent), or UNKNOWN when its value is unknown during preview."""
    try:
        return props.get(key)
    except UnknownValueError:
        return UNKNOWN


def mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is a mapping (dict or analyzer proxy), else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def items(value: object) -> list[Any]:
    """`value` as a list when it is a sequence (list or analyzer proxy) other than a string, else empty."""
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


def text(value: object) -> str | None:
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def arm_properties(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The nested ARM `properties` object (cognitiveservices keeps it; network types flatten it)."""
    return mapping(props.get("properties"))


def display(resource_name: str, props: Mapping[str, Any], name_key: str) -> str:
    """How a message names a resource: its Azure name when set, with the Pulumi name if different."""
    azure_name = text(peek(props, name_key))
    if azure_name and azure_name != resource_name:
        return f"{azure_name!r} (Pulumi resource {resource_name!r})"
    return repr(resource_name)


def sku_name(props: Mapping[str, Any]) -> str | None:
    """The `sku.name` of a resource, if set."""
    return text(peek(mapping(props.get("sku")), "name"))


def linked(resource: PolicyResource) -> Iterator[PolicyResource]:
    """The resources `resource` depends on: property dependencies first, then plain dependencies."""
    seen: set[str] = set()
    for group in (*resource.property_dependencies.values(), resource.dependencies):
        for other in group:
            if other.urn not in seen:
                seen.add(other.urn)
                yield other


def through(resource: PolicyResource, key: str, kind: tuple[str, str]) -> PolicyResource | None:
    """The resource of `kind` that input `key` takes its value from (a property dependency), if any."""
    return next(
        (
            other
            for other in resource.property_dependencies.get(key, [])
            if is_type(other.resource_type, kind)
        ),
        None,
    )


def of_type(resources: Sequence[PolicyResource], kind: tuple[str, str]) -> list[PolicyResource]:
    """The stack's resources of one azure-native kind."""
    return [r for r in resources if is_type(r.resource_type, kind)]


def fine_tuning_jobs(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The stack's fine-tuning jobs: FineTuningJob resources and any dynamic resource running its provider."""
    return [r for r in resources if is_fine_tuning_job(r.resource_type, r.props)]


def named_account(resource: PolicyResource, resources: Sequence[PolicyResource]) -> PolicyResource | None:
    """The account a deployment names in `accountName`: the account its value comes from, or the stack's
    account of that name; None when the stack declares no such account."""
    account = through(resource, "accountName", ACCOUNT)
    if account is not None:
        return account
    name = text(peek(resource.props, "accountName"))
    if name is None:
        return None
    return next((a for a in of_type(resources, ACCOUNT) if text(peek(a.props, "accountName")) == name), None)


def job_account(job: PolicyResource, resources: Sequence[PolicyResource]) -> PolicyResource | None:
    """The account a job trains on: the account its `endpoint` comes from, or the stack's account whose
    subdomain a literal endpoint names; None when the endpoint leads to no account of this stack."""
    account = through(job, "endpoint", ACCOUNT)
    if account is not None:
        return account
    endpoint = text(peek(job.props, "endpoint"))
    match = _ENDPOINT_HOST.match(endpoint or "")
    if match is None:
        return None
    subdomain = match["subdomain"].lower()
    for candidate in of_type(resources, ACCOUNT):
        own = text(peek(arm_properties(candidate.props), "customSubDomainName"))
        if own is not None and own.lower() == subdomain:
            return candidate
    return None


def job_region(job: PolicyResource, resources: Sequence[PolicyResource]) -> str | None:
    """Where a job trains: its account's location. A `region` input on the job is never trusted."""
    account = job_account(job, resources)
    return text(peek(account.props, "location")) if account is not None else None


def no_account_text(job: PolicyResource) -> str:
    """Why a job's training region is not known, for messages."""
    endpoint = text(peek(job.props, "endpoint"))
    shown = f" ({endpoint})" if endpoint else ""
    return (
        f"its endpoint{shown} is not the endpoint of an account declared in this stack (a region input on "
        "the job does not count)"
    )


def stack_name(resources: Sequence[PolicyResource]) -> str | None:
    """The stack's name from its resources' URNs (`urn:pulumi:<stack>::<project>::...`)."""
    for resource in resources:
        head = resource.urn.split("::", 1)[0]
        parts = head.split(":", 2)
        if len(parts) == 3 and parts[0] == "urn" and parts[2]:
            return parts[2]
    return None
