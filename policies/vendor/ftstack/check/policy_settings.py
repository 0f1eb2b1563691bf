"""The policy pack's settings, derived from a stack's `ftstack:environment.residency` (the single source).

This module names every policy of the pack, gives each one's config schema (with defaults), and turns a
stack's config into Pulumi's `--policy-pack-config` JSON. The pack (policies/) and `ftstack check` both use
it, so the settings are written once. It knows no Pulumi.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

from ftstack.config.problems import ConfigProblem, join_path
from ftstack.config.schema import CapabilityOverrideConfig, EnvironmentConfig, ResidencyConfig

# Policy names, as they appear in `pulumi preview` output, the check report and `residency.policyLevels`.
RESIDENCY_ALLOWED_LOCATIONS: Final = "residency-allowed-locations"
RESIDENCY_TRAINING_TYPE: Final = "residency-training-type"
RESIDENCY_DEPLOYMENT_SKU: Final = "residency-deployment-sku"
CAPABILITY_FINE_TUNING_JOB: Final = "capability-fine-tuning-job"
NETWORK_PUBLIC_ACCESS_DISABLED: Final = "network-public-access-disabled"
NETWORK_ACLS_DEFAULT_DENY: Final = "network-acls-default-deny"
NETWORK_PRIVATE_ENDPOINT: Final = "network-private-endpoint"
IDENTITY_LOCAL_AUTH_DISABLED: Final = "identity-local-auth-disabled"
IDENTITY_MANAGED_IDENTITY: Final = "identity-managed-identity"
ENCRYPTION_CUSTOMER_MANAGED_KEY: Final = "encryption-customer-managed-key"
DEPLOYMENT_VERSION_UPGRADE: Final = "deployment-version-upgrade"
DEPLOYMENT_CAPACITY: Final = "deployment-capacity"
PRODUCTION_BASELINE: Final = "production-baseline"
RESOURCE_TYPES_ALLOWED: Final = "resource-types-allowed"
API_VERSIONS_STABLE: Final = "api-versions-stable"
IDENTITY_ROLE_ASSIGNMENTS: Final = "identity-role-assignments"
MONITORING_DIAGNOSTICS: Final = "monitoring-diagnostics"
NETWORK_OUTBOUND_RESTRICTED: Final = "network-outbound-restricted"
CAPABILITY_BASE_MODELS: Final = "capability-base-models"
FINE_TUNING_ENDPOINT: Final = "fine-tuning-endpoint-from-stack"

POLICY_NAMES: Final[tuple[str, ...]] = (
    RESIDENCY_ALLOWED_LOCATIONS,
    RESIDENCY_TRAINING_TYPE,
    RESIDENCY_DEPLOYMENT_SKU,
    CAPABILITY_FINE_TUNING_JOB,
    NETWORK_PUBLIC_ACCESS_DISABLED,
    NETWORK_ACLS_DEFAULT_DENY,
    NETWORK_PRIVATE_ENDPOINT,
    IDENTITY_LOCAL_AUTH_DISABLED,
    IDENTITY_MANAGED_IDENTITY,
    ENCRYPTION_CUSTOMER_MANAGED_KEY,
    DEPLOYMENT_VERSION_UPGRADE,
    DEPLOYMENT_CAPACITY,
    PRODUCTION_BASELINE,
    RESOURCE_TYPES_ALLOWED,
    API_VERSIONS_STABLE,
    IDENTITY_ROLE_ASSIGNMENTS,
    MONITORING_DIAGNOSTICS,
    NETWORK_OUTBOUND_RESTRICTED,
    CAPABILITY_BASE_MODELS,
    FINE_TUNING_ENDPOINT,
)

# Correctness rather than a compliance choice: a job the matrix refuses fails at Azure after upload, so
# this policy stays mandatory when a stack's enforcement is advisory (residency.policyLevels can change it).
# The production baseline is what keeps a pull request from switching the others off, so no stack setting
# may lower it (residency.policyLevels naming it is a config error).
ALWAYS_MANDATORY: Final[frozenset[str]] = frozenset({CAPABILITY_FINE_TUNING_JOB, PRODUCTION_BASELINE})
FIXED_LEVEL: Final[frozenset[str]] = frozenset({PRODUCTION_BASELINE})

Level = Literal["mandatory", "advisory", "disabled"]

_STRING_LIST: Final = {"type": "array", "items": {"type": "string"}}
_OVERRIDE: Final = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "version": {"type": "string"},
        "region": {"type": "string"},
        # Overrides add standard-training regions only (the config refuses global ones; so does the pack).
        "training": {"type": "string", "enum": ["standard"]},
        "justification": {"type": "string"},
    },
    "required": ["model", "version", "region", "training", "justification"],
}

_OVERRIDE_KEYS: Final = {"model", "version", "region", "training", "justification"}

# The JSON schema of each policy's properties (without defaults; `config_schemas()` adds them).
_PROPERTY_SCHEMAS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    RESIDENCY_ALLOWED_LOCATIONS: {"allowedGeographies": _STRING_LIST},
    RESIDENCY_TRAINING_TYPE: {"allowedGeographies": _STRING_LIST, "allowGlobalTraining": {"type": "boolean"}},
    RESIDENCY_DEPLOYMENT_SKU: {"allowedGeographies": _STRING_LIST, "allowedDeploymentSkus": _STRING_LIST},
    CAPABILITY_FINE_TUNING_JOB: {"capabilityOverrides": {"type": "array", "items": _OVERRIDE}},
    NETWORK_PUBLIC_ACCESS_DISABLED: {"requirePublicNetworkAccessDisabled": {"type": "boolean"}},
    NETWORK_ACLS_DEFAULT_DENY: {},
    NETWORK_PRIVATE_ENDPOINT: {"requirePrivateEndpoint": {"type": "boolean"}},
    IDENTITY_LOCAL_AUTH_DISABLED: {},
    IDENTITY_MANAGED_IDENTITY: {},
    ENCRYPTION_CUSTOMER_MANAGED_KEY: {"requireCustomerManagedKey": {"type": "boolean"}},
    DEPLOYMENT_VERSION_UPGRADE: {"allowAutomaticUpgrade": {"type": "boolean"}},
    DEPLOYMENT_CAPACITY: {"maxCapacity": {"type": "integer", "minimum": 1}},
    PRODUCTION_BASELINE: {
        "stack": {"type": "string"},
        "settings": {"type": "object"},
        "baseRef": {"type": "object"},
    },
    RESOURCE_TYPES_ALLOWED: {"production": {"type": "boolean"}},
    API_VERSIONS_STABLE: {"production": {"type": "boolean"}},
    IDENTITY_ROLE_ASSIGNMENTS: {"production": {"type": "boolean"}},
    MONITORING_DIAGNOSTICS: {"requireDiagnostics": {"type": "boolean"}},
    NETWORK_OUTBOUND_RESTRICTED: {"requireOutboundRestriction": {"type": "boolean"}},
    CAPABILITY_BASE_MODELS: {"allowedBaseModels": _STRING_LIST},
    FINE_TUNING_ENDPOINT: {"production": {"type": "boolean"}},
}


def protected_settings(residency: ResidencyConfig, production: bool) -> dict[str, Any]:
    """The settings a production baseline protects (`production` and the whole residency section), in the
    stack file's spelling: what the production-baseline policy compares with its baseline."""
    return {"production": production, "residency": residency.model_dump(mode="json", by_alias=True)}


def policy_properties(
    residency: ResidencyConfig, production: bool, overrides: Sequence[CapabilityOverrideConfig] = ()
) -> dict[str, dict[str, Any]]:
    """Each policy's config properties for an environment with these residency settings and overrides."""
    return {
        RESIDENCY_ALLOWED_LOCATIONS: {"allowedGeographies": list(residency.allowed_geographies)},
        RESIDENCY_TRAINING_TYPE: {
            "allowedGeographies": list(residency.allowed_geographies),
            "allowGlobalTraining": residency.allow_global_training,
        },
        RESIDENCY_DEPLOYMENT_SKU: {
            "allowedGeographies": list(residency.allowed_geographies),
            "allowedDeploymentSkus": list(residency.allowed_deployment_skus),
        },
        CAPABILITY_FINE_TUNING_JOB: {
            "capabilityOverrides": [override.model_dump(include=_OVERRIDE_KEYS) for override in overrides]
        },
        # Without a private endpoint the data plane is reached over the public network; its ACLs still deny
        # by default (network-acls-default-deny), so public access is only required off when a PE is.
        NETWORK_PUBLIC_ACCESS_DISABLED: {
            "requirePublicNetworkAccessDisabled": residency.require_private_endpoint
        },
        NETWORK_ACLS_DEFAULT_DENY: {},
        NETWORK_PRIVATE_ENDPOINT: {"requirePrivateEndpoint": residency.require_private_endpoint},
        IDENTITY_LOCAL_AUTH_DISABLED: {},
        IDENTITY_MANAGED_IDENTITY: {},
        ENCRYPTION_CUSTOMER_MANAGED_KEY: {
            "requireCustomerManagedKey": residency.require_customer_managed_key
        },
        DEPLOYMENT_VERSION_UPGRADE: {"allowAutomaticUpgrade": not production},
        DEPLOYMENT_CAPACITY: {"maxCapacity": residency.max_deployment_capacity},
        PRODUCTION_BASELINE: {
            "stack": "",
            "settings": protected_settings(residency, production),
            "baseRef": {},
        },
        RESOURCE_TYPES_ALLOWED: {"production": production},
        API_VERSIONS_STABLE: {"production": production},
        IDENTITY_ROLE_ASSIGNMENTS: {"production": production},
        MONITORING_DIAGNOSTICS: {"requireDiagnostics": production},
        NETWORK_OUTBOUND_RESTRICTED: {"requireOutboundRestriction": production},
        CAPABILITY_BASE_MODELS: {"allowedBaseModels": list(residency.allowed_base_models)},
        FINE_TUNING_ENDPOINT: {"production": production},
    }


def default_properties() -> dict[str, dict[str, Any]]:
    """Each policy's properties when a stack sets nothing: the schema defaults of a production stack."""
    return policy_properties(ResidencyConfig(), production=True)


def config_schemas() -> dict[str, dict[str, dict[str, Any]]]:
    """Each policy's config schema properties, with the defaults a stack gets when it sets nothing."""
    defaults = default_properties()
    return {
        name: {prop: {**schema, "default": defaults[name][prop]} for prop, schema in props.items()}
        for name, props in _PROPERTY_SCHEMAS.items()
    }


def policy_level_problems(residency: ResidencyConfig) -> list[ConfigProblem]:
    """Problems with `residency.policyLevels`: every key must name a policy of the pack whose level a stack
    may set."""
    problems = []
    for name in residency.policy_levels:
        path = join_path("residency", "policyLevels", name)
        if name not in POLICY_NAMES:
            message = f"{name!r} is not a policy of the pack; policies: {', '.join(POLICY_NAMES)}"
            problems.append(ConfigProblem(path, message))
        elif name in FIXED_LEVEL:
            message = f"{name!r} is always mandatory; a stack cannot change its level"
            problems.append(ConfigProblem(path, message))
    return problems


def policy_level(residency: ResidencyConfig, name: str) -> Level:
    """The enforcement level of policy `name` in an environment with these residency settings."""
    if name in FIXED_LEVEL:
        return "mandatory"
    if name in residency.policy_levels:
        return residency.policy_levels[name]
    if name in ALWAYS_MANDATORY:
        return "mandatory"
    return residency.enforcement


def pack_config(
    env: EnvironmentConfig, stack: str = "", base_ref: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pulumi's `--policy-pack-config` JSON for this environment: `{"all": level, "<policy>": {...}}`.

    `stack` names the stack (the baseline policy reads it from the URNs first); `base_ref` carries the
    protected settings of the stack on the base branch (`{"ref", "settings"}`), when the caller has them.
    """
    properties = policy_properties(env.residency, env.production, env.capability_overrides)
    properties[PRODUCTION_BASELINE] |= {"stack": stack, "baseRef": base_ref or {}}
    config: dict[str, Any] = {"all": env.residency.enforcement}
    for name in POLICY_NAMES:
        config[name] = {"enforcementLevel": policy_level(env.residency, name), **properties[name]}
    return config
