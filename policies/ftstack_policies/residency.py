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
from ftstack.catalog.deployment_types import load_deployment_types
from ftstack.catalog.resource_types import load_resource_types
from ftstack.check.policy_settings import (
    RESIDENCY_ALLOWED_LOCATIONS,
    RESIDENCY_DEPLOYMENT_SKU,
    RESIDENCY_TRAINING_TYPE,
)

from .capability import model_and_version
from .geography import Scope, geographies_text, in_any, region_or_none, sku_scope, zone_within
from .resources import (
    DEPLOYMENT,
    GLOBAL_LOCATION,
    RESOURCE_GROUP,
    UNKNOWN,
    display,
    fine_tuning_jobs,
    is_type,
    job_account,
    job_region,
    named_account,
    no_account_text,
    of_type,
    peek,
    sku_name,
    text,
)
from .settings import flag, schema, string_list


def regions_in(geographies: Sequence[str], limit: int = 4) -> str:
    """A few regions of the table inside `geographies`, for a remediation hint."""
    names = [r.name for r in load_regions() if in_any(r, geographies)]
    more = ", and others" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "none known"


def _location_of(args: ResourceValidationArgs) -> tuple[str | None, str]:
    """The resource's location and where it comes from: its own input, or for a resource group (which has
    no parent to inherit from) the provider's `azure-native:location`."""
    location = text(args.props.get("location"))
    if location is not None:
        return location, "its location"
    if is_type(args.resource_type, RESOURCE_GROUP) and args.provider is not None:
        provider_location = text(args.provider.props.get("location"))
        if provider_location is not None:
            return provider_location, "the provider's default location (azure-native:location)"
    return None, ""


def _validate_location(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = string_list(args.get_config(), RESIDENCY_ALLOWED_LOCATIONS, "allowedGeographies")
    kind_of_location = load_resource_types().location_kind(args.resource_type)
    if not allowed or kind_of_location in ("none", "global"):
        return  # children and extensions live where their parent does; DNS zones are global by nature
    kind = args.resource_type.rsplit(":", 1)[-1]
    location, source = _location_of(args)
    if location is None:
        if kind_of_location is None and "location" not in args.props:
            return  # a type the pack does not know and that takes no location (resource-types-allowed)
        inherits = "its resource group's or the provider's" if kind != "ResourceGroup" else "the provider's"
        report_violation(
            f"{kind} {args.name!r} sets no location, so it lands in {inherits} location, which cannot be "
            f"shown to lie in {geographies_text(allowed)} before it is deployed. Fix: set location to a region "
            f"in {geographies_text(allowed)}, e.g. {regions_in(allowed)}.",
            None,
        )
        return
    if location.strip().casefold() == GLOBAL_LOCATION:
        report_violation(
            f"{kind} {args.name!r} is at location 'global', but only private DNS zones and their links are "
            f"global by nature; any other resource at 'global' keeps no data in {geographies_text(allowed)}. "
            f"Fix: give it a region in {geographies_text(allowed)}, e.g. {regions_in(allowed)}.",
            None,
        )
        return
    region = region_or_none(location)
    if region is None:
        report_violation(
            f"{kind} {args.name!r} is in {location!r} ({source}), a region the region table does not know, so it "
            f"cannot be shown to lie in {geographies_text(allowed)}. Fix: use an Azure region name such as "
            f"{regions_in(allowed)}.",
            None,
        )
    elif not in_any(region, allowed):
        report_violation(
            f"{kind} {args.name!r} is in {region.display_name} ({region.name}, {region.country}; {source}), "
            f"outside the allowed geographies {geographies_text(allowed)}. Fix: move it to a region in "
            f"{geographies_text(allowed)}, e.g. {regions_in(allowed)}.",
            None,
        )
    elif location != region.name:
        # ARM receives the name as written; `Sweden Central ` (or a no-break space) is not what it expects.
        report_violation(
            f"{kind} {args.name!r} spells its location {location!r}, which reaches ARM exactly as written. "
            f"Fix: write the ARM name {region.name!r}.",
            None,
        )


allowed_locations = ResourceValidationPolicy(
    name=RESIDENCY_ALLOWED_LOCATIONS,
    description="Every Azure resource's location (its own, or the provider's for a resource group) lies in "
    "an allowed geography; only private DNS resources may be global.",
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
        location = job_region(job, args.resources)
        region = region_or_none(location) if location else None
        if region is None:
            account = job_account(job, args.resources)
            reason = (
                no_account_text(job) if account is None else f"its account's location {location!r} is unknown"
            )
            report_violation(
                f"fine-tuning job {name}: {reason}, so it cannot be shown to stay in "
                f"{geographies_text(allowed)}. Fix: take the job's endpoint from the account resource of this "
                "stack.",
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


def _residency_keeping(allowed_skus: list[str], allowed: list[str], zone: str | None) -> list[str]:
    """The allowed SKUs that keep data in the geographies for an account in data zone `zone` (None: not
    known): regional ones, and DataZoneStandard only where fine-tuned models may use that data zone."""
    keeping = []
    for sku in allowed_skus:
        scope = sku_scope(sku)
        if scope is Scope.REGION:
            keeping.append(sku)
        elif scope is Scope.DATA_ZONE and zone is not None:
            zones = load_deployment_types().rule(sku).data_zones
            zone_regions = [r for r in load_regions() if r.data_zone == zone]
            if zone in zones and zone_regions and zone_within(zone_regions[0], allowed):
                keeping.append(sku)
    return keeping or ["Standard"]


def _sku_problems(
    sku: str | None, allowed_skus: list[str], allowed: list[str], zone: str | None
) -> list[str]:
    """What is wrong with a SKU regardless of the account's region."""
    if sku is None:
        return [f"it sets no sku.name. Fix: set sku to one of {', '.join(allowed_skus)}."]
    problems = []
    if sku not in allowed_skus:
        problems.append(
            f"SKU {sku} is not allowed in this environment. Fix: use one of {', '.join(allowed_skus)}."
        )
    if allowed and sku_scope(sku) is Scope.NONE:
        regional = _residency_keeping(allowed_skus, allowed, zone)
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
        account = named_account(deployment, args.resources)
        location = text(peek(account.props, "location")) if account is not None else None
        region = region_or_none(location) if location else None
        problems = _sku_problems(sku, allowed_skus, allowed, region.data_zone if region else None)
        if allowed and account is None and peek(deployment.props, "accountName") is not UNKNOWN:
            named = text(peek(deployment.props, "accountName")) or "no account"
            problems.append(
                f"it deploys to {named!r}, which is not an account declared in this stack, so where it serves "
                f"cannot be shown to lie in {geographies_text(allowed)}. Fix: deploy to the stack's account "
                "(take accountName from the account resource)."
            )
        elif sku is not None and allowed and sku_scope(sku) is Scope.DATA_ZONE:
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
    description="Model deployments on an account of this stack use an allowed SKU whose data processing "
    "stays in the allowed geographies.",
    validate=_validate_deployment_sku,
    config_schema=schema(RESIDENCY_DEPLOYMENT_SKU),
    severity=Severity.HIGH,
    remediation_steps="Deploy with Standard or ProvisionedManaged (regional) on the stack's own account; "
    "DataZoneStandard keeps fine-tuned models in the US data zone only; Global* and developer tiers give no "
    "residency.",
)
