"""Capability: a fine-tuning job's model, version, training type and region must be allowed by the matrix,
and its base model must be one the environment allows.

It checks every fine-tuning job in the stack, whether the components declared it or someone wrote it by
hand (any dynamic resource running the FineTuningJob provider); the region is the location of the account
its endpoint comes from, and vision is read from its data files as well as assumed from the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ftstack.catalog import CapabilityOverride, CatalogError, Decision, TrainingType, load_matrix
from ftstack.check.policy_settings import CAPABILITY_BASE_MODELS, CAPABILITY_FINE_TUNING_JOB
from ftstack.config.image_content import has_image_content

from .resources import (
    fine_tuning_jobs,
    job_account,
    job_region,
    mapping,
    no_account_text,
    peek,
    text,
)
from .settings import schema, setting, string_list

# Job data paths are relative to the project (the program's folder), which holds the pack's folder.
PROJECT_DIR = Path(__file__).resolve().parents[2]


def overrides_of(config: Mapping[str, Any]) -> list[CapabilityOverride]:
    """The stack's justified matrix additions, from the policy's config: standard-training regions only
    (an override never grants global training, whatever the config says)."""
    found = []
    for raw in setting(config, CAPABILITY_FINE_TUNING_JOB, "capabilityOverrides") or []:
        item = mapping(raw)
        training = text(item.get("training"))
        if training == "standard":
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


def data_has_images(job: PolicyResource) -> bool:
    """True when the job's training or validation file holds an image content part (files that are not
    there, such as an experiment's subset in a preview, are judged by the config check instead)."""
    for key in ("training_file", "validation_file"):
        name = text(peek(job.props, key))
        if name is None:
            continue
        path = Path(name)
        candidates = [path] if path.is_absolute() else [PROJECT_DIR / path, Path.cwd() / path]
        if any(has_image_content(candidate) for candidate in candidates):
            return True
    return False


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    overrides = overrides_of(args.get_config())
    for job in fine_tuning_jobs(args.resources):
        name = repr(job.name)
        # An unknown model or training type raises here: the analyzer then says the policy could not run
        # during preview, rather than passing a job nobody checked.
        base_model = text(job.props.get("base_model"))
        training = text(job.props.get("training_type"))
        region = job_region(job, args.resources)
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
            why = (
                no_account_text(job)
                if job_account(job, args.resources) is None
                else "its account sets no location"
            )
            report_violation(
                f"fine-tuning job {name}: {why}, so where it trains is not known and the matrix cannot allow "
                "it. Fix: take the job's endpoint "
                "from the account resource of this stack.",
                job.urn,
            )
            continue
        vision = data_has_images(job)
        try:
            model, version = model_and_version(base_model, text(job.props.get("model_version")))
            decision = load_matrix().check(model, version, region, training, vision, overrides=overrides)
        except CatalogError as exc:
            report_violation(
                f"fine-tuning job {name}: {exc}. Fix: use a model, version and region the "
                "matrix lists (`ftstack matrix list`).",
                job.urn,
            )
            continue
        if not decision.allowed:
            data = " (its data holds images, so it is vision training)" if vision else ""
            report_violation(
                f"fine-tuning job {name}{data}: {'; '.join(decision.reasons)}. Fix: train it where the matrix "
                f"allows ({alternatives_text(decision)}), or add a justified capabilityOverrides entry for a "
                "standard-training region.",
                job.urn,
            )


fine_tuning_job = StackValidationPolicy(
    name=CAPABILITY_FINE_TUNING_JOB,
    description="Every fine-tuning job's model, version, training type and region (its account's) are "
    "allowed by the capability matrix, with vision read from its data.",
    validate=_validate,
    config_schema=schema(CAPABILITY_FINE_TUNING_JOB),
    severity=Severity.HIGH,
    remediation_steps="Run `ftstack matrix check --model M --version V --region R --training T` to see where "
    "the model can be trained, and move the job (or its account) there.",
)


def _validate_base_models(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = [
        m.strip().lower() for m in string_list(args.get_config(), CAPABILITY_BASE_MODELS, "allowedBaseModels")
    ]
    if not allowed:
        return
    for job in fine_tuning_jobs(args.resources):
        base_model = text(job.props.get("base_model")) or ""
        try:
            model, _ = model_and_version(base_model, text(job.props.get("model_version")))
        except CatalogError:
            model = base_model.strip().lower()  # the capability policy reports the unknown model
        if model not in allowed:
            report_violation(
                f"fine-tuning job {job.name!r} fine-tunes {base_model or 'no base model'!r}, which is not among "
                f"the environment's allowed base models ({', '.join(allowed)}; residency.allowedBaseModels). "
                "Fix: choose an allowed base model.",
                job.urn,
            )


base_models = StackValidationPolicy(
    name=CAPABILITY_BASE_MODELS,
    description="Fine-tuning jobs start from a base model the environment allows.",
    validate=_validate_base_models,
    config_schema=schema(CAPABILITY_BASE_MODELS),
    severity=Severity.MEDIUM,
    remediation_steps="Use a base model listed in residency.allowedBaseModels, or add it there in a reviewed "
    "change (production baselines keep the list from growing silently).",
)
