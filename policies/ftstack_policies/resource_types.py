"""What a production stack may declare: listed resource types only, on their stable API versions.

An unlisted type hides its settings from every other rule: the classic `azure` provider's account, an
azapi or generic `resources:Resource` wrapping Microsoft.CognitiveServices, an ARM template
`resources:Deployment`, a dynamic resource with a new type token. The list is a fact table
(`ftstack/catalog/data/resource_types.yaml`); a dynamic resource running the FineTuningJob provider under
another token is refused here and still checked as a job by the capability and residency rules.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ftstack.catalog.resource_types import load_resource_types, parse_azure_native
from ftstack.check.policy_settings import API_VERSIONS_STABLE, RESOURCE_TYPES_ALLOWED

from .resources import DYNAMIC_PREFIX, FINE_TUNING_JOB_TYPE, is_fine_tuning_job
from .settings import flag, schema

# Types that wrap any Azure resource: their body is opaque to the rules.
_OPAQUE = {
    ("resources", "Resource"): "a generic resource, whose body no rule reads",
    ("resources", "Deployment"): "an ARM template deployment, whose template no rule reads",
}


def _why_refused(resource_type: str, is_job: bool) -> str:
    """Why a type is refused, in the words a reviewer needs."""
    parsed = parse_azure_native(resource_type)
    if parsed is not None and (parsed.module, parsed.kind) in _OPAQUE:
        return _OPAQUE[(parsed.module, parsed.kind)]
    if is_job:
        return f"a fine-tuning job under another type token than {FINE_TUNING_JOB_TYPE}"
    if resource_type.startswith(DYNAMIC_PREFIX):
        return "a dynamic resource whose provider no rule knows"
    if parsed is None and not resource_type.startswith("ftstack:"):
        return "a resource of another provider than azure-native, which no rule reads"
    return "a type no rule of the pack checks"


def _validate_types(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not flag(args.get_config(), RESOURCE_TYPES_ALLOWED, "production"):
        return
    if load_resource_types().allows(args.resource_type):
        return
    is_job = is_fine_tuning_job(args.resource_type, args.props)
    report_violation(
        f"{args.name!r} is a {args.resource_type}: {_why_refused(args.resource_type, is_job)}, so the residency "
        "and security rules cannot see it. Fix: declare it through the platform components (or an azure-native "
        "type the pack lists in ftstack/catalog/data/resource_types.yaml).",
        None,
    )


resource_types_allowed = ResourceValidationPolicy(
    name=RESOURCE_TYPES_ALLOWED,
    description="Production stacks declare only resource types the policy pack checks.",
    validate=_validate_types,
    config_schema=schema(RESOURCE_TYPES_ALLOWED),
    severity=Severity.HIGH,
    remediation_steps="Use the platform components or a listed azure-native type; to add a type, list it in "
    "ftstack/catalog/data/resource_types.yaml together with the rules that check it.",
)


def _validate_api_version(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not flag(args.get_config(), API_VERSIONS_STABLE, "production"):
        return
    parsed = parse_azure_native(args.resource_type)
    if parsed is not None and parsed.is_preview:
        stable = f"azure-native:{parsed.module}:{parsed.kind}"
        report_violation(
            f"{args.name!r} uses the preview API version {parsed.api_version} ({args.resource_type}); preview "
            f"APIs change without notice and carry no SLA. Fix: use {stable} or a stable version module.",
            None,
        )


api_versions_stable = ResourceValidationPolicy(
    name=API_VERSIONS_STABLE,
    description="Production resources use stable (non-preview) Azure API versions.",
    validate=_validate_api_version,
    config_schema=schema(API_VERSIONS_STABLE),
    severity=Severity.MEDIUM,
    remediation_steps="Use the default azure-native type token or a stable `v<date>` version module.",
)
