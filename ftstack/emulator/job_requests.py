"""Turning a job-creation body into a job, validated the way the service validates it: a known base
model (`<model>-<version>`) or fine-tuned model, a training type the region can train that model with
(asked of the capability matrix), processed files, a method the model supports, sane hyperparameters."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ftstack.catalog import ModelRow, TrainingType, load_matrix
from ftstack.catalog.matrix import Method
from ftstack.emulator import lifecycle, training_files
from ftstack.emulator.errors import ApiError, bad_request
from ftstack.emulator.identifiers import fine_tuned_model_id, job_id
from ftstack.emulator.state import EmulatorState, JobRecord
from ftstack.emulator.training_files import Verdict
from ftstack.training_data import auto_epochs

SUFFIX_MAX = 40
METADATA_MAX = 16
_SUFFIX = re.compile(r"^[A-Za-z0-9_-]+$")
# `trainingType` values, compared case-insensitively (reference §1.3: the casing is unverified; the SDK
# samples send "Standard" and "GlobalStandard", the SDK tests "developerTier"), with the spelling the job
# reports and the matrix question that decides where it may train. The developer tier has no residency
# and the matrix has no column for it: it is asked like global training (an emulator approximation).
_TRAINING_TYPES: dict[str, tuple[str, TrainingType]] = {
    "standard": ("Standard", TrainingType.STANDARD),
    "globalstandard": ("GlobalStandard", TrainingType.GLOBAL),
    "developertier": ("developerTier", TrainingType.GLOBAL),
}


@dataclass(frozen=True)
class Hyperparameters:
    """Resolved hyperparameters ("auto" replaced by the value the service would pick)."""

    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    beta: float | None


def resolve_base(state: EmulatorState, model: str) -> ModelRow:
    """The matrix row a job's `model` trains from: a base model id, or the base of a fine-tuned model or
    checkpoint this resource produced; a 400 naming the base models otherwise."""
    matrix = load_matrix()
    for row in matrix.rows:
        if row.azure_base_model == model:
            return row
    for job in state.jobs.values():
        if model in job.produced_models():
            return matrix.row(*_split_base(job.base_model))
    known = ", ".join(r.azure_base_model for r in matrix.rows)
    named = [r.azure_base_model for r in matrix.rows if r.model == model]
    hint = f"; say the version, e.g. {named[-1]}" if named else ""
    raise bad_request(
        f"The specified base model '{model}' does not support fine-tuning{hint}. "
        f"Models that can be fine-tuned: {known}, or a fine-tuned model of this resource.",
        param="model",
    )


def _split_base(base_model: str) -> tuple[str, str]:
    for row in load_matrix().rows:
        if row.azure_base_model == base_model:
            return row.model, row.version
    raise ValueError(f"unknown base model {base_model!r}")


def training_type(body: dict[str, Any]) -> tuple[str, TrainingType]:
    """The job's `trainingType` as reported, and the matrix's training type for it; read only from the
    camelCase key, as Azure reads it (absent means Standard)."""
    raw = body.get("trainingType")
    if raw is None:
        return _TRAINING_TYPES["standard"]
    found = _TRAINING_TYPES.get(str(raw).strip().lower())
    if found is None:
        hint = (
            " (the developer tier is spelled developerTier)"
            if str(raw).strip().lower() == "developer"
            else ""
        )
        raise bad_request(
            f"trainingType '{raw}' is not supported{hint}; use Standard, GlobalStandard or developerTier.",
            param="trainingType",
        )
    return found


def _number(value: object, name: str, low: float, high: float, integer: bool) -> float | None:
    if value is None or value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and int(value) != value):
        bad = True
    else:
        bad = not low <= float(value) <= high
    if bad:
        kind = "an integer" if integer else "a number"
        raise bad_request(
            f"{name} must be 'auto' or {kind} from {low:g} to {high:g}, not {value!r}.", param=name
        )
    return float(value)  # type: ignore[arg-type]


def method_and_hyperparameters(body: dict[str, Any], examples: int) -> tuple[Method, Hyperparameters]:
    """(method type, resolved hyperparameters) from the body (`method`, or the deprecated top level)."""
    method = body.get("method")
    if method is not None and not isinstance(method, dict):
        raise bad_request('method must be an object like {"type": "supervised"}.', param="method")
    requested = method.get("type", "supervised") if isinstance(method, dict) else "supervised"
    kinds: dict[str, Method] = {"supervised": "supervised", "dpo": "dpo"}
    if not isinstance(requested, str) or requested not in kinds:
        raise bad_request(
            f"method.type {_shown(requested)} is not supported; use supervised or dpo.", param="method.type"
        )
    kind = kinds[requested]
    raw: dict[str, Any] = {}
    top = body.get("hyperparameters")
    if top is not None and not isinstance(top, dict):
        raise bad_request('hyperparameters must be an object like {"n_epochs": 3}.', param="hyperparameters")
    raw.update(top or {})
    if isinstance(method, dict) and method.get(kind) is not None:
        section = method[kind]
        nested = section.get("hyperparameters") if isinstance(section, dict) else None
        if not isinstance(section, dict) or not isinstance(nested, dict | None):
            raise bad_request(
                f'method.{kind} must be an object like {{"hyperparameters": {{"n_epochs": 3}}}}.',
                param=f"method.{kind}",
            )
        raw.update(nested or {})
    epochs = _number(raw.get("n_epochs"), "n_epochs", 1, 50, integer=True)
    batch = _number(raw.get("batch_size"), "batch_size", 1, 256, integer=True)
    lr = _number(raw.get("learning_rate_multiplier"), "learning_rate_multiplier", 0.01, 10, integer=False)
    beta = _number(raw.get("beta"), "beta", 0.01, 2, integer=False) if kind == "dpo" else None
    return kind, Hyperparameters(
        n_epochs=int(epochs) if epochs is not None else auto_epochs(examples),
        batch_size=int(batch) if batch is not None else max(1, min(256, round(examples * 0.002))),
        learning_rate_multiplier=lr if lr is not None else 1.0,
        beta=(beta if beta is not None else 0.1) if kind == "dpo" else None,
    )


def _integrations(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """`integrations` as the API takes it: a list of objects, or absent."""
    value = body.get("integrations")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise bad_request(
            f'integrations must be a list of objects like {{"type": "wandb"}}, not {_shown(value)}.',
            param="integrations",
        )
    return value


def _shown(value: object, limit: int = 80) -> str:
    """A bad value as an error message quotes it: its repr, cut to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _file(state: EmulatorState, file_id: object, param: str) -> str:
    if not isinstance(file_id, str) or not file_id:
        raise bad_request(f"{param} is required and must be a file id.", param=param)
    record = state.files.get(file_id)
    if record is None:
        raise bad_request(f"The {param} '{file_id}' does not exist.", param=param, code="invalidPayload")
    if record.purpose != "fine-tune":
        raise bad_request(
            f"The {param} '{file_id}' has purpose '{record.purpose}'; it needs 'fine-tune'.", param=param
        )
    if record.status != "processed":
        detail = f": {record.status_details}" if record.status_details else ""
        hint = "upload a corrected file" if record.status == "error" else "wait until it is processed"
        raise bad_request(
            f"The {param} '{file_id}' is {record.status}{detail}; {hint}.",
            param=param,
            code="jsonlValidationFailed" if record.status == "error" else "invalidPayload",
        )
    return file_id


def _suffix(body: dict[str, Any]) -> str | None:
    suffix = body.get("suffix")
    if suffix is None:
        return None
    if not isinstance(suffix, str) or not _SUFFIX.match(suffix) or len(suffix) > SUFFIX_MAX:
        raise bad_request(
            f"suffix {_shown(suffix)} must be 1 to {SUFFIX_MAX} characters from a-z, A-Z, 0-9, '-' and '_'.",
            param="suffix",
        )
    return suffix


def _metadata(body: dict[str, Any]) -> dict[str, str] | None:
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or len(metadata) > METADATA_MAX
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        raise bad_request(
            f"metadata must be at most {METADATA_MAX} string key/value pairs.", param="metadata"
        )
    return dict(metadata)


@dataclass(frozen=True)
class Validation:
    """One file a job create must validate: its id, and the base model row and method to validate for."""

    file_id: str
    row: ModelRow
    method: Method


def validations_needed(state: EmulatorState, body: dict[str, Any]) -> list[Validation]:
    """The data files a create body names, with the row and method to validate them for (done off the
    event loop before `create_job`); ApiError for a body that names no usable model or file."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required.", param="model")
    row = resolve_base(state, model)
    method, _ = method_and_hyperparameters(body, 1)
    needed = [Validation(_file(state, body.get("training_file"), "training_file"), row, method)]
    if body.get("validation_file"):
        needed.append(Validation(_file(state, body["validation_file"], "validation_file"), row, method))
    return needed


def create_job(
    state: EmulatorState,
    region: str,
    body: dict[str, Any],
    now: float,
    verdicts: Mapping[str, Verdict],
    injected_failure: str | None = None,
    max_queued: int = 20,
) -> JobRecord:
    """A new pending job for `body`, given the verdicts of its files (by file id, from
    `validations_needed`); ApiError (400) with the service's message when it is refused."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required.", param="model")
    row = resolve_base(state, model)
    reported_training_type, training = training_type(body)
    training_file = _file(state, body.get("training_file"), "training_file")
    validation_file = (
        _file(state, body["validation_file"], "validation_file") if body.get("validation_file") else None
    )
    method, _ = method_and_hyperparameters(body, 1)
    verdict = verdicts.get(training_file) or training_files.validate(
        state.blob_path(training_file), row, method
    )
    examples, tokens = max(1, verdict.examples), verdict.tokens
    _, hyper = method_and_hyperparameters(body, examples)
    decision = load_matrix().check(row.model, row.version, region, training, vision=verdict.images)
    if not decision.allowed:
        standard = ", ".join(decision.alternatives[TrainingType.STANDARD]) or "no region"
        global_ = ", ".join(decision.alternatives[TrainingType.GLOBAL]) or "no region"
        raise ApiError(
            400,
            "invalidPayload",
            f"{reported_training_type} training of {row.azure_base_model} is not available in this "
            f"resource's region: {'; '.join(decision.reasons)}. Standard training is available in "
            f"{standard}; global training in {global_}.",
            param="trainingType",
        )
    if method not in row.methods:
        raise bad_request(
            f"{row.azure_base_model} does not support the {method} method; it supports {', '.join(row.methods)}.",
            param="method.type",
        )
    suffix, metadata = _suffix(body), _metadata(body)
    seed = body.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1
    ):
        raise bad_request(f"seed must be an integer from 0 to 2147483647, not {seed!r}.", param="seed")
    if seed is None:
        digest = state.files[training_file].sha256 or hashlib.sha256(training_file.encode()).hexdigest()
        seed = int(digest[:8], 16) % 2**31
    queued = sum(1 for j in state.jobs.values() if j.status == "pending")
    if queued >= max_queued:
        raise ApiError(
            429,
            "quotaExceeded",
            f"This resource already has {queued} queued fine-tuning jobs, the most it may have; "
            "wait for one to finish or cancel one.",
        )
    job = JobRecord(
        id=job_id(),
        model=model,
        base_model=row.azure_base_model,
        training_file=training_file,
        validation_file=validation_file,
        method=method,
        n_epochs=hyper.n_epochs,
        batch_size=hyper.batch_size,
        learning_rate_multiplier=hyper.learning_rate_multiplier,
        beta=hyper.beta,
        seed=seed,
        suffix=suffix,
        metadata=metadata,
        integrations=_integrations(body),
        training_type=reported_training_type,
        created_at=int(now),
        examples=examples,
        tokens_per_epoch=tokens,
        fine_tuned_model_id=fine_tuned_model_id(row.azure_base_model),
        ready_at=now + lifecycle.JOB_VALIDATION_SECONDS,
        step_seconds=lifecycle.step_seconds(tokens, examples, hyper.batch_size),
        epoch_overhead=lifecycle.EPOCH_OVERHEAD_SECONDS,
        finalize_seconds=lifecycle.FINALIZE_SECONDS,
        explicit_hyperparameters=explicit_hyperparameters(body, method),
    )
    checked = (
        verdict
        if validation_file is None
        else verdicts.get(validation_file)
        or training_files.validate(state.blob_path(validation_file), row, method)
    )
    if not verdict.valid:
        job.planned_error = _invalid_file_error("training_file", row, verdict.summary)
    elif not checked.valid:
        job.planned_error = _invalid_file_error("validation_file", row, checked.summary)
    elif injected_failure is not None:
        job.planned_error = {"code": "internal_error", "message": injected_failure, "param": None}
        job.planned_error_progress = 0.4 * lifecycle.training_seconds(job)
    lifecycle.event(job, now, f"Job enqueued. Validating training file: {training_file}")
    return job


def explicit_hyperparameters(body: dict[str, Any], method: str) -> list[str]:
    """The hyperparameters the body sets to a value (not "auto"), at the top level or under the method."""
    raw: dict[str, Any] = (
        dict(body.get("hyperparameters") or {}) if isinstance(body.get("hyperparameters"), dict) else {}
    )
    nested = body.get("method")
    if isinstance(nested, dict) and isinstance(nested.get(method), dict):
        raw.update(nested[method].get("hyperparameters") or {})
    return sorted(k for k, v in raw.items() if v is not None and v != "auto")


def _invalid_file_error(param: str, row: ModelRow, summary: str) -> dict[str, Any]:
    kind = param.removesuffix("_file")
    return {
        "code": f"invalid_{param}",
        "message": f"The job failed due to an invalid {kind} file for {row.azure_base_model}. {summary}",
        "param": param,
    }
