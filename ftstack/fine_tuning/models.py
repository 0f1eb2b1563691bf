"""What a fine-tuning job is asked to be (JobSpec) and what the service says it is (JobState)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Method = Literal["supervised", "dpo"]
HyperparameterValue = int | float | str

METHODS: tuple[str, ...] = ("supervised", "dpo")
TRAINING_TYPES: tuple[str, ...] = ("standard", "global")
HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
    "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"),
}
INTEGER_HYPERPARAMETERS: tuple[str, ...] = ("n_epochs", "batch_size")

# Azure's authoring states plus the v1 (OpenAI) states: a client must accept the union of both sets.
TERMINAL_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
# Ended without a model: never adopted, and replaced (trained again) on the next update.
ENDED_WITHOUT_MODEL: frozenset[str] = frozenset({"failed", "cancelled"})
ACTIVE_STATES: frozenset[str] = frozenset(
    {"created", "pending", "validating_files", "queued", "running", "pausing", "paused", "resuming"}
)

# Inputs whose change means a different job (a different trained model): they replace the resource.
IDENTITY_FIELDS: tuple[str, ...] = (
    "endpoint",
    "base_model",
    "model_version",
    "training_type",
    "training_file_sha256",
    "validation_file_sha256",
    "method",
    "hyperparameters",
    "seed",
    "suffix",
)


class Checkpoint(TypedDict):
    """One checkpoint of a job: its id, training step, metrics and deployable model name."""

    id: str
    step: int
    metrics: dict[str, float]
    fine_tuned_model_checkpoint: str


@dataclass(frozen=True)
class JobSpec:
    """The inputs of one FineTuningJob resource, normalised (numbers typed, sha256 of each data file)."""

    resource_name: str
    endpoint: str
    base_model: str
    model_version: str
    training_type: str
    training_file: str
    training_file_sha256: str
    validation_file: str | None
    validation_file_sha256: str | None
    method: str
    hyperparameters: dict[str, HyperparameterValue]
    seed: int | None
    suffix: str | None
    wait: bool
    wait_timeout_seconds: int

    @property
    def azure_base_model(self) -> str:
        """The base model id the fine-tuning API takes, e.g. `gpt-4o-mini-2024-07-18`."""
        return f"{self.base_model}-{self.model_version}"

    @property
    def adoption_key(self) -> str:
        """A hash of the resource name and every identity input: the tag a retried create looks for."""
        identity = {name: getattr(self, name) for name in IDENTITY_FIELDS if name != "endpoint"}
        identity["resource_name"] = self.resource_name
        canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def method_body(self) -> dict[str, Any]:
        """The `method` object of the job-creation body, hyperparameters nested under the method type."""
        return {"type": self.method, self.method: {"hyperparameters": dict(self.hyperparameters)}}


@dataclass(frozen=True)
class UploadedFiles:
    """The service's file ids for a job's training and (optional) validation data."""

    training_file_id: str
    validation_file_id: str | None = None

    def ids(self) -> list[str]:
        """Every file id held, training first."""
        return [i for i in (self.training_file_id, self.validation_file_id) if i]


@dataclass(frozen=True)
class JobState:
    """A job as the service last reported it, with its checkpoints."""

    job_id: str
    status: str
    fine_tuned_model: str | None
    trained_tokens: int | None
    training_file_id: str
    validation_file_id: str | None
    result_files: list[str] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    error_message: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """True once the job can no longer change (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATES

    def outputs(self) -> dict[str, Any]:
        """The resource outputs this state gives, keyed as the FineTuningJob resource declares them."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "fine_tuned_model": self.fine_tuned_model,
            "trained_tokens": self.trained_tokens,
            "checkpoints": [dict(c) for c in self.checkpoints],
            "result_files": list(self.result_files),
            "training_file_id": self.training_file_id,
            "validation_file_id": self.validation_file_id,
        }
