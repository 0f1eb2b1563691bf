"""Capability: a FineTuningJob's model, version, training type and region must be allowed by the matrix.

It checks every FineTuningJob in the stack, whether the components declared it or someone wrote it by
hand; the region is the job's `region` input or the location of the account it depends on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ftstack.catalog import CapabilityOverride, CatalogError, Decision, TrainingType, load_matrix
from ftstack.check.policy_settings import CAPABILITY_FINE_TUNING_JOB

from .resources import fine_tuning_jobs, job_region, mapping, text
from .settings import schema, setting


def overrides_of(config: Mapping[str, Any]) -> list[CapabilityOverride]:
    """The stack's justified matrix additions, from the policy's config."""
    found = []
    for raw in setting(config, CAPABILITY_FINE_TUNING_JOB, "capabilityOverrides") or []:
        item = mapping(raw)
        training = text(item.get("training"))
        if training in ("standard", "global"):
            found.append(
                CapabilityOverride(
                    str(item.get("model")),
                    str(item.get("version")),
                    str(item.get("region")),
                    TrainingType(training),
                    str(item.get("justification")),
                )
            )
    return found


def model_and_version(base_model: str, version: str | None) -> tuple[str, str]:
    """(model, version) from the job's inputs; `gpt-4o-mini-2024-07-18` alone is understood too."""
    matrix = load_matrix()
    if version is not None:
        return base_model, version
    for row in matrix.rows:
        if row.azure_base_model == base_model.strip().lower():
            return row.model, row.version
    row = matrix.resolve_row(base_model, None)
    return row.model, row.version


def alternatives_text(decision: Decision) -> str:
    """Where this model can be trained instead, per training type."""
    standard = ", ".join(decision.alternatives.get(TrainingType.STANDARD, ())) or "no region"
    global_ = ", ".join(decision.alternatives.get(TrainingType.GLOBAL, ())) or "no region"
    return f"standard training in {standard}; global training in {global_}"


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    overrides = overrides_of(args.get_config())
    for job in fine_tuning_jobs(args.resources):
        name = repr(job.name)
        base_model = text(job.props.get("base_model"))
        training = text(job.props.get("training_type"))
        region = job_region(job)
        if base_model is None:
            report_violation(f"fine-tuning job {name} names no base_model. Fix: set base_model.", job.urn)
            continue
        if training not in ("standard", "global"):
            report_violation(
                f"fine-tuning job {name} has training type {training!r}. Fix: use 'standard' or 'global'.",
                job.urn,
            )
            continue
        if region is None:
            report_violation(
                f"fine-tuning job {name} does not say where it trains (no region input and no account in this "
                "stack it depends on), so the matrix cannot allow it. Fix: give the job a region, or take its "
                "endpoint from the account resource.",
                job.urn,
            )
            continue
        try:
            model, version = model_and_version(base_model, text(job.props.get("model_version")))
            decision = load_matrix().check(model, version, region, training, overrides=overrides)
        except CatalogError as exc:
            report_violation(
                f"fine-tuning job {name}: {exc}. Fix: use a model, version and region the "
                "matrix lists (`ftstack matrix list`).",
                job.urn,
            )
            continue
        if not decision.allowed:
            report_violation(
                f"fine-tuning job {name}: {'; '.join(decision.reasons)}. Fix: train it where the matrix allows "
                f"({alternatives_text(decision)}), or add a justified capabilityOverrides entry.",
                job.urn,
            )


fine_tuning_job = StackValidationPolicy(
    name=CAPABILITY_FINE_TUNING_JOB,
    description="Every fine-tuning job's model, version, training type and region are allowed by the "
    "capability matrix.",
    validate=_validate,
    config_schema=schema(CAPABILITY_FINE_TUNING_JOB),
    severity=Severity.HIGH,
    remediation_steps="Run `ftstack matrix check --model M --version V --region R --training T` to see where "
    "the model can be trained, and move the job (or its account) there.",
)
