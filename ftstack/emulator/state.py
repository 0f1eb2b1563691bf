"""The emulator's state in memory: files (metadata here, content as blobs on disk), jobs with their events
and checkpoints, and deployments. `store.py` keeps it durable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FileRecord:
    """An uploaded, imported or generated file; `ready_at`/`outcome_at` schedule its processing."""

    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    status: str
    running_at: float
    done_at: float
    # What processing will end in: "processed" or "error" with the validation summary; None while the
    # validation (off the event loop) has not decided yet.
    outcome: str | None = "processed"
    outcome_details: str | None = None
    status_details: str | None = None
    expires_at: int | None = None
    # The content's sha256 (validation verdicts are cached by it).
    sha256: str | None = None


@dataclass
class EventRecord:
    """One job event."""

    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None


@dataclass
class CheckpointRecord:
    """One checkpoint (the end of an epoch) with its metrics."""

    id: str
    created_at: int
    step_number: int
    fine_tuned_model_checkpoint: str
    metrics: dict[str, float]


@dataclass
class JobRecord:
    """A fine-tuning job and where it is on its simulated timeline."""

    id: str
    model: str
    base_model: str
    training_file: str
    validation_file: str | None
    method: str
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    beta: float | None
    seed: int
    suffix: str | None
    metadata: dict[str, str] | None
    integrations: list[dict[str, Any]] | None
    training_type: str
    created_at: int
    examples: int
    tokens_per_epoch: int
    fine_tuned_model_id: str
    # Simulated seconds: checks before the job may run, per optimizer step, and post-processing.
    ready_at: float
    step_seconds: float
    epoch_overhead: float
    finalize_seconds: float
    status: str = "pending"
    files_validated: bool = False
    # Training seconds done before the current running segment, and when that segment began.
    progress: float = 0.0
    segment_start: float | None = None
    started_at: float | None = None
    transition_at: float | None = None
    epochs_done: int = 0
    steps_reported: int = 0
    finished_at: int | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    result_files: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    # A failure decided at creation (invalid data for the model, injected fault) and when it strikes.
    planned_error: dict[str, Any] | None = None
    planned_error_progress: float | None = None
    # The hyperparameters the request set; the others show as -1 until the service resolves them.
    explicit_hyperparameters: list[str] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    checkpoints: list[CheckpointRecord] = field(default_factory=list)

    def produced_models(self) -> set[str]:
        """Every model id this job gives a deployment: its fine-tuned model, and each kept checkpoint by
        its `fine_tuned_model_checkpoint` name and by its `ftchkpt-` id."""
        produced = {c.fine_tuned_model_checkpoint for c in self.checkpoints} | {
            c.id for c in self.checkpoints
        }
        if self.fine_tuned_model is not None:
            produced.add(self.fine_tuned_model)
        return produced


@dataclass
class EmulatorState:
    """Everything the emulator remembers; blobs live in `blob_dir`."""

    blob_dir: Path
    files: dict[str, FileRecord] = field(default_factory=dict)
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    deployments: dict[str, str] = field(default_factory=dict)
    # When the running slot was last freed (a job finished, failed or was cancelled).
    slot_free_at: float = 0.0
    simulated_now: float = 0.0

    def blob_path(self, file_id: str) -> Path:
        """Where a file's content is stored."""
        return self.blob_dir / file_id

    def write_blob(self, file_id: str, content: bytes) -> Path:
        """Store a file's content; returns its path."""
        path = self.blob_path(file_id)
        path.write_bytes(content)
        return path
