"""Build policy arguments directly (the first testing level): resources, stacks and a violation recorder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
JOB = "pulumi-python:dynamic/ftstack:FineTuningJob"
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def urn(type_: str, name: str) -> str:
    """A stack-level URN for a resource."""
    return f"urn:pulumi:test::ftstack::{type_}::{name}"


def resource(
    type_: str,
    name: str,
    props: Mapping[str, Any],
    depends_on: Sequence[PolicyResource] = (),
    property_deps: Mapping[str, Sequence[PolicyResource]] | None = None,
) -> PolicyResource:
    """A stack resource, linked to others through its dependencies."""
    return PolicyResource(
        type_,
        dict(props),
        urn(type_, name),
        name,
        OPTS,
        None,
        None,
        list(depends_on),
        {k: list(v) for k, v in (property_deps or {}).items()},
    )


def secure_account(name: str = "acct", location: str = "swedencentral", **overrides: Any) -> dict[str, Any]:
    """Account inputs as the components declare them (secure defaults), with top-level overrides."""
    props: dict[str, Any] = {
        "accountName": name,
        "location": location,
        "kind": "OpenAI",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "customSubDomainName": name,
            "disableLocalAuth": True,
            "publicNetworkAccess": "Disabled",
            "networkAcls": {"defaultAction": "Deny"},
            "restrictOutboundNetworkAccess": True,
        },
        "sku": {"name": "S0"},
    }
    props.update(overrides)
    return props


def with_properties(props: dict[str, Any], **arm: Any) -> dict[str, Any]:
    """`props` with keys of the nested ARM `properties` object replaced."""
    return {**props, "properties": {**props.get("properties", {}), **arm}}


def job(
    name: str = "job",
    model: str = "gpt-4o-mini",
    version: str = "2024-07-18",
    training: str = "standard",
    **extra: Any,
) -> dict[str, Any]:
    """FineTuningJob inputs (snake_case, as the dynamic resource passes them)."""
    return {
        "resource_name": name,
        "endpoint": "https://acct.openai.azure.com/",
        "base_model": model,
        "model_version": version,
        "training_type": training,
        "training_file": "train.jsonl",
        **extra,
    }


def deployment(
    sku: str = "Standard", capacity: float = 10.0, upgrade: str | None = "NoAutoUpgrade"
) -> dict[str, Any]:
    """Deployment inputs."""
    props: dict[str, Any] = {
        "accountName": "acct",
        "deploymentName": "d",
        "sku": {"name": sku, "capacity": capacity},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini.ft-1", "version": "1"}},
    }
    if upgrade is not None:
        props["properties"]["versionUpgradeOption"] = upgrade
    return props


def violations_of_resource(
    policy: Policy,
    type_: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    name: str = "r",
) -> list[str]:
    """Messages a resource policy reports for one resource."""
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[str] = []
    args = ResourceValidationArgs(
        type_, dict(props), urn(type_, name), name, OPTS, None, config=dict(config or {})
    )
    policy.validate(args, lambda message, _urn=None: found.append(message))
    return found


def violations_of_stack(
    policy: Policy, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """(message, urn) pairs a stack policy reports."""
    found: list[tuple[str, str | None]] = []
    args = StackValidationArgs(list(resources), config=dict(config or {}))
    policy.validate(args, lambda message, urn_=None: found.append((message, urn_)))
    return found
