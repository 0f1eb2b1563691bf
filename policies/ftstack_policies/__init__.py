"""The ftstack policies, importable without starting a pack (policies/__main__.py builds the PolicyPack).

Importable as `ftstack_policies` (the analyzer puts policies/ on sys.path) and as
`policies.ftstack_policies` (tests from the project root); modules import each other relatively.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    access,
    baseline,
    capability,
    deployments,
    encryption,
    identity,
    job_endpoint,
    monitoring,
    network,
    residency,
    resource_types,
)

PACK_NAME = "ftstack-policies"
PACK_DESCRIPTION = "Data residency, capability and security guardrails for Azure OpenAI fine-tuning stacks."


def all_policies() -> list[Policy]:
    """Every policy of the pack, in the order the report lists them."""
    return [
        residency.allowed_locations,
        residency.training_type,
        residency.deployment_sku,
        capability.fine_tuning_job,
        network.public_access_disabled,
        network.acls_default_deny,
        network.private_endpoint,
        identity.local_auth_disabled,
        identity.managed_identity,
        encryption.customer_managed_key,
        deployments.version_upgrade,
        deployments.capacity_bounds,
        baseline.production_baseline,
        resource_types.resource_types_allowed,
        resource_types.api_versions_stable,
        access.role_assignments,
        monitoring.diagnostics,
        network.outbound_restricted,
        capability.base_models,
        job_endpoint.endpoint_from_stack,
    ]
