"""Deployment hygiene: no automatic model version upgrades in production, capacity within bounds."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ftstack.check.policy_settings import DEPLOYMENT_CAPACITY, DEPLOYMENT_VERSION_UPGRADE

from .resources import DEPLOYMENT, arm_properties, display, is_type, mapping, text
from .settings import flag, number, schema


def _validate_version_upgrade(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, DEPLOYMENT):
        return
    if flag(args.get_config(), DEPLOYMENT_VERSION_UPGRADE, "allowAutomaticUpgrade"):
        return
    option = text(arm_properties(args.props).get("versionUpgradeOption"))
    if option != "NoAutoUpgrade":
        shown = option or "not set (Azure upgrades when a new default version is out)"
        report_violation(
            f"deployment {display(args.name, args.props, 'deploymentName')} upgrades its model version "
            f"automatically (versionUpgradeOption is {shown}). Fix: set versionUpgradeOption: NoAutoUpgrade "
            "and upgrade through a reviewed change.",
            None,
        )


version_upgrade = ResourceValidationPolicy(
    name=DEPLOYMENT_VERSION_UPGRADE,
    description="Production deployments do not upgrade their model version automatically.",
    validate=_validate_version_upgrade,
    config_schema=schema(DEPLOYMENT_VERSION_UPGRADE),
    severity=Severity.MEDIUM,
    remediation_steps="Set versionUpgradeOption to NoAutoUpgrade on production deployments.",
)


def _validate_capacity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_type(args.resource_type, DEPLOYMENT):
        return
    maximum = number(args.get_config(), DEPLOYMENT_CAPACITY, "maxCapacity")
    capacity = mapping(args.props.get("sku")).get("capacity")
    if capacity is None:
        return  # Azure's default capacity is 1
    name = display(args.name, args.props, "deploymentName")
    if isinstance(capacity, bool) or not isinstance(capacity, int | float):
        report_violation(
            f"deployment {name} has capacity {capacity!r}. Fix: set capacity to a whole number.", None
        )
    elif capacity < 1 or capacity > maximum:
        report_violation(
            f"deployment {name} asks for capacity {capacity:g}, outside 1..{maximum:g} "
            f"(residency.maxDeploymentCapacity). Fix: lower capacity to at most {maximum:g}, or raise the "
            "bound in the stack's residency settings.",
            None,
        )


capacity_bounds = ResourceValidationPolicy(
    name=DEPLOYMENT_CAPACITY,
    description="Deployment capacity stays within the environment's bounds.",
    validate=_validate_capacity,
    config_schema=schema(DEPLOYMENT_CAPACITY),
    severity=Severity.MEDIUM,
    remediation_steps="Keep sku.capacity between 1 and residency.maxDeploymentCapacity.",
)
