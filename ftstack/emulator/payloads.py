"""The JSON the emulator answers with, shaped like the service's examples (files, jobs, events,
checkpoints, models, lists)."""

from __future__ import annotations

from typing import Any

from ftstack.catalog import ModelRow, TrainingType, load_matrix
from ftstack.emulator import lifecycle
from ftstack.emulator.state import CheckpointRecord, EventRecord, FileRecord, JobRecord

# Fixed, plausible lifecycle dates for base models (unix seconds).
_BASE_CREATED = 1_720_000_000
_FINE_TUNE_DEPRECATION = 1_830_000_000
_INFERENCE_DEPRECATION = 1_860_000_000
_YEAR = 365 * 24 * 3600


def file_json(record: FileRecord) -> dict[str, Any]:
    """A File object."""
    data: dict[str, Any] = {
        "object": "file",
        "id": record.id,
        "purpose": record.purpose,
        "filename": record.filename,
        "bytes": record.bytes,
        "created_at": record.created_at,
        "status": record.status,
    }
    if record.status_details is not None:
        data["status_details"] = record.status_details
    if record.expires_at is not None:
        data["expires_at"] = record.expires_at
    return data


def job_json(job: JobRecord, now: float) -> dict[str, Any]:
    """A FineTuningJob object. Until the service has validated the files it has not resolved the "auto"
    hyperparameters: those read -1 (the spec's create example answers `"n_epochs": -1`), and
    `result_files` is null until the job has a results file."""
    resolved = job.files_validated
    values: dict[str, Any] = {
        "n_epochs": job.n_epochs,
        "batch_size": job.batch_size,
        "learning_rate_multiplier": job.learning_rate_multiplier,
    }
    if job.beta is not None:
        values["beta"] = job.beta
    shown = {k: v if resolved or k in job.explicit_hyperparameters else -1 for k, v in values.items()}
    hyperparameters = {k: v for k, v in shown.items() if k != "beta"}
    method_hyper = dict(shown)
    estimated_finish = None
    if job.status == "running" and job.segment_start is not None:
        left = lifecycle.training_seconds(job) - lifecycle.progress_at(job, now)
        estimated_finish = int(now + max(0.0, left))
    return {
        "object": "fine_tuning.job",
        "id": job.id,
        "created_at": job.created_at,
        "status": job.status,
        "model": job.model,
        "fine_tuned_model": job.fine_tuned_model,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "result_files": list(job.result_files) if job.result_files else None,
        "finished_at": job.finished_at,
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "estimated_finish": estimated_finish,
        "hyperparameters": hyperparameters,
        "method": {"type": job.method, job.method: {"hyperparameters": method_hyper}},
        "suffix": job.suffix,
        "user_provided_suffix": job.suffix,
        "seed": job.seed,
        "metadata": job.metadata,
        "integrations": job.integrations,
        "trainingType": job.training_type,
        "organization_id": None,
    }


def event_json(event: EventRecord) -> dict[str, Any]:
    """A fine_tuning.job.event object."""
    return {
        "object": "fine_tuning.job.event",
        "id": event.id,
        "created_at": event.created_at,
        "level": event.level,
        "message": event.message,
        "type": event.type,
        "data": event.data,
    }


def checkpoint_json(job: JobRecord, checkpoint: CheckpointRecord) -> dict[str, Any]:
    """A fine_tuning.job.checkpoint object."""
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint.id,
        "created_at": checkpoint.created_at,
        "fine_tuned_model_checkpoint": checkpoint.fine_tuned_model_checkpoint,
        "step_number": checkpoint.step_number,
        "metrics": checkpoint.metrics,
        "fine_tuning_job_id": job.id,
    }


def base_model_json(row: ModelRow, region: str) -> dict[str, Any]:
    """A Model object for a base model; `fine_tune` says whether this resource's region can train it
    (with any training type), as the service's per-region model list does."""
    matrix = load_matrix()
    trainable = any(matrix.check(row.model, row.version, region, t).allowed for t in TrainingType)
    return {
        "object": "model",
        "id": row.azure_base_model,
        "created_at": _BASE_CREATED,
        "status": "succeeded",
        "capabilities": {
            "fine_tune": trainable,
            "inference": True,
            "completion": False,
            "chat_completion": True,
            "embeddings": False,
        },
        "lifecycle_status": "generally-available",
        "deprecation": {"fine_tune": _FINE_TUNE_DEPRECATION, "inference": _INFERENCE_DEPRECATION},
    }


def fine_tuned_model_json(job: JobRecord, model_id: str) -> dict[str, Any]:
    """A Model object for a fine-tuned model (or checkpoint) this resource produced."""
    finished = job.finished_at or job.created_at
    return {
        "object": "model",
        "id": model_id,
        "created_at": finished,
        "status": "succeeded",
        "model": job.base_model,
        "fine_tune": job.id,
        "capabilities": {
            "fine_tune": True,
            "inference": True,
            "completion": False,
            "chat_completion": True,
            "embeddings": False,
        },
        "lifecycle_status": "generally-available",
        "deprecation": {"inference": finished + _YEAR},
    }


def page(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
    """A list object with the items after the one whose id is `after`, at most `limit` of them."""
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    shown = items[:limit]
    return {
        "object": "list",
        "data": shown,
        "has_more": len(items) > limit,
        "first_id": shown[0]["id"] if shown else None,
        "last_id": shown[-1]["id"] if shown else None,
    }
