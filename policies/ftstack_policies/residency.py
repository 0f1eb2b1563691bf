"""Residency: every Azure location, every training type and every deployment SKU within the geographies.

Semantics (DESIGN.md, Residency): standard training keeps data in the resource's region; global training
offers no residency; Standard and ProvisionedManaged deployments stay in region, DataZoneStandard in the
region's data zone, Global* and developer-tier deployments anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ftstack.catalog import CatalogError, load_matrix, load_regions
from ftstack.check.policy_settings import (
    RESIDENCY_ALLOWED_LOCATIONS,
    RESIDENCY_DEPLOYMENT_SKU,
    RESIDENCY_TRAINING_TYPE,
)

from .capability import model_and_version
from .geography import Scope, geographies_text, in_any, region_or_none, sku_scope, zone_within
from .resources import (
    DEPLOYMENT,
    NON_REGIONAL_LOCATIONS,
    RESOURCE_GROUP,
    display,
    fine_tuning_jobs,
    is_azure_native,
    is_type,
    job_region,
    linked_account,
    of_type,
    sku_name,
    text,
)
from .settings import flag, schema, string_list


def regions_in(geographies: Sequence[str], limit: int = 4) -> str:
    """A few regions of the table inside `geographies`, for a remediation hint."""
    names = [r.name for r in load_regions() if in_any(r, geographies)]
    more = ", and others" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "none known"


def _validate_location(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_azure_native(args.resource_type):
        return
    location = text(args.props.get("location"))
    if location is None and is_type(args.resource_type, RESOURCE_GROUP) and args.provider is not None:
        # A resource group without a location takes the provider's (`azure-native:location`).
        location = text(args.provider.props.get("location"))
    allowed = string_list(args.get_config(), RESIDENCY_ALLOWED_LOCATIONS, "allowedGeographies")
    if location is None or location.casefold() in NON_REGIONAL_LOCATIONS or not allowed:
        return
    kind = args.resource_type.rsplit(":", 1)[-1]
    region = region_or_none(location)
    if region is None:
        report_violation(
            f"{kind} {args.name!r} is in {location!r}, a region the region table does not know, so it cannot "
            f"be shown to lie in {geographies_text(allowed)}. Fix: use an Azure region name such as "
            f"{regions_in(allowed)}.",
            None,
        )
    elif not in_any(region, allowed):
        report_violation(
            f"{kind} {args.name!r} is in {region.display_name} ({region.name}, {region.country}), outside the "
            f"allowed geographies {geographies_text(allowed)}. Fix: move it to a region in "
            f"{geographies_text(allowed)}, e.g. {regions_in(allowed)}.",
            None,
        )


allowed_locations = ResourceValidationPolicy(
    name=RESIDENCY_ALLOWED_LOCATIONS,
    description="Every Azure resource's location lies in an allowed geography.",
    validate=_validate_location,
    config_schema=schema(RESIDENCY_ALLOWED_LOCATIONS),
    severity=Severity.HIGH,
    remediation_steps="Choose regions inside residency.allowedGeographies (account.region, the private "
    "endpoint's region, the workspace).",
)


def _standard_hint(job: PolicyResource, allowed: Sequence[str]) -> str:
    """Where the job's model can be trained with standard training inside the allowed geographies."""
    base_model = text(job.props.get("base_model"))
    try:
        model, version = model_and_version(base_model or "", text(job.props.get("model_version")))
        row = load_matrix().row(model, version)
    except CatalogError:
        return "choose a model and region the matrix lists (`ftstack matrix list`)"
    regions = [r for r in row.standard_regions if not allowed or in_any(load_regions().get(r), allowed)]
    if not regions:
        where = geographies_text(allowed)
        return f"no region in {where} offers standard training for {row.label}; choose another model"
    return f"{row.label} can be trained with standard training in {', '.join(regions)}"


def _validate_training_type(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    allowed = string_list(config, RESIDENCY_TRAINING_TYPE, "allowedGeographies")
    allow_global = flag(config, RESIDENCY_TRAINING_TYPE, "allowGlobalTraining")
    for job in fine_tuning_jobs(args.resources):
        training = text(job.props.get("training_type"))
        name = repr(job.name)
        if training == "global":
            why = []
            if not allow_global:
                why.append("this environment does not allow global training (residency.allowGlobalTraining)")
            if allowed:
                why.append(
                    "global training offers no data residency, so it fails the geography restriction "
                    f"{geographies_text(allowed)}"
                )
            if why:
                report_violation(
                    f"fine-tuning job {name} uses global training: {'; '.join(why)}. Fix: set trainingType: "
                    f"standard (it keeps the data in the account's region); {_standard_hint(job, allowed)}.",
                    job.urn,
                )
            continue
        if not allowed:
            continue
        if training != "standard":
            report_violation(
                f"fine-tuning job {name} has training type {training!r}, so its residency cannot be verified. "
                "Fix: set training_type to 'standard' or 'global'.",
                job.urn,
            )
            continue
        location = job_region(job)
        region = region_or_none(location) if location else None
        if region is None:
            report_violation(
                f"fine-tuning job {name} does not say where it trains (no region input and no account in this "
                f"stack it depends on), so it cannot be shown to stay in {geographies_text(allowed)}. Fix: give "
                "the job a region, or take its endpoint from the account resource.",
                job.urn,
            )
        elif not in_any(region, allowed):
            report_violation(
                f"fine-tuning job {name} trains in {region.display_name} ({region.name}, {region.country}), "
                f"outside the allowed geographies {geographies_text(allowed)}. Fix: train on an account in "
                f"{regions_in(allowed)}.",
                job.urn,
            )


training_type = StackValidationPolicy(
    name=RESIDENCY_TRAINING_TYPE,
    description="Fine-tuning keeps training data in the allowed geographies: global training fails any "
    "geography restriction.",
    validate=_validate_training_type,
    config_schema=schema(RESIDENCY_TRAINING_TYPE),
    severity=Severity.HIGH,
    remediation_steps="Use trainingType: standard on an account in an allowed geography, or (when residency "
    "does not matter) set residency.allowGlobalTraining: true and no allowedGeographies.",
)


def _sku_problems(sku: str | None, allowed_skus: list[str], allowed: list[str]) -> list[str]:
    """What is wrong with a SKU regardless of the account's region."""
    if sku is None:
        return [f"it sets no sku.name. Fix: set sku to one of {', '.join(allowed_skus)}."]
    problems = []
    if sku not in allowed_skus:
        problems.append(
            f"SKU {sku} is not allowed in this environment. Fix: use one of {', '.join(allowed_skus)}."
        )
    if allowed and sku_scope(sku) is Scope.NONE:
        regional = [s for s in allowed_skus if sku_scope(s) is not Scope.NONE] or ["Standard"]
        problems.append(
            f"SKU {sku} gives no data residency (requests may be processed in any Azure region), which fails "
            f"the geography restriction {geographies_text(allowed)}. Fix: use {' or '.join(regional)}."
        )
    return problems


def _validate_deployment_sku(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    allowed = string_list(config, RESIDENCY_DEPLOYMENT_SKU, "allowedGeographies")
    allowed_skus = string_list(config, RESIDENCY_DEPLOYMENT_SKU, "allowedDeploymentSkus")
    for deployment in of_type(args.resources, DEPLOYMENT):
        name = display(deployment.name, deployment.props, "deploymentName")
        sku = sku_name(deployment.props)
        problems = _sku_problems(sku, allowed_skus, allowed)
        if sku is not None and allowed and sku_scope(sku) is Scope.DATA_ZONE:
            account = linked_account(deployment)
            location = text(account.props.get("location")) if account is not None else None
            region = region_or_none(location) if location else None
            if region is None:
                problems.append(
                    f"SKU {sku} keeps data in the account's data zone, but the account's region is not known "
                    "here. Fix: take accountName from the account resource declared in this stack."
                )
            elif region.data_zone is None:
                problems.append(
                    f"SKU {sku} needs a data zone, and {region.name} belongs to none. Fix: use Standard."
                )
            elif not zone_within(region, allowed):
                problems.append(
                    f"SKU {sku} keeps data in the {region.data_zone} data zone of {region.name}, which reaches "
                    f"beyond {geographies_text(allowed)}. Fix: use Standard or ProvisionedManaged (in region)."
                )
        for problem in problems:
            report_violation(f"deployment {name}: {problem}", deployment.urn)


deployment_sku = StackValidationPolicy(
    name=RESIDENCY_DEPLOYMENT_SKU,
    description="Model deployments use an allowed SKU whose data processing stays in the allowed geographies.",
    validate=_validate_deployment_sku,
    config_schema=schema(RESIDENCY_DEPLOYMENT_SKU),
    severity=Severity.HIGH,
    remediation_steps="Deploy with Standard or ProvisionedManaged (regional), or DataZoneStandard when the "
    "account's whole data zone lies in the allowed geographies; Global* and developer tiers give no residency.",
)
