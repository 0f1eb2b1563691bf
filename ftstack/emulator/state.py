"""The emulator's state: files (metadata here, content as blobs on disk), jobs with their events and
checkpoints, deployments and request counts; saved to and loaded from a directory as JSON."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
STATE_VERSION = 1


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
    # What processing will end in: "processed" or "error" with the validation summary.
    outcome: str = "processed"
    outcome_details: str | None = None
    status_details: str | None = None
    expires_at: int | None = None


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
    events: list[EventRecord] = field(default_factory=list)
    checkpoints: list[CheckpointRecord] = field(default_factory=list)


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


def new_state(state_dir: Path | None) -> tuple[EmulatorState, tempfile.TemporaryDirectory[str] | None]:
    """The state saved in `state_dir` (or a fresh one), and the temporary blob directory to clean up."""
    if state_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="ftstack-emulator-")
        return EmulatorState(blob_dir=Path(scratch.name)), scratch
    blobs = state_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    state = EmulatorState(blob_dir=blobs)
    saved = state_dir / STATE_FILE
    if saved.exists():
        try:
            _load_into(state, json.loads(saved.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"{saved} is not an emulator state this version can read: {exc}") from exc
    return state, None


def save_state(state: EmulatorState, state_dir: Path, now: float) -> None:
    """Write the state to `state_dir/state.json` atomically (blobs are already on disk)."""
    state.simulated_now = now
    data = {
        "version": STATE_VERSION,
        "files": [asdict(f) for f in state.files.values()],
        "jobs": [asdict(j) for j in state.jobs.values()],
        "deployments": state.deployments,
        "slot_free_at": state.slot_free_at,
        "simulated_now": now,
    }
    target = state_dir / STATE_FILE
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(target)


def _load_into(state: EmulatorState, data: dict[str, Any]) -> None:
    if data.get("version") != STATE_VERSION:
        raise ValueError(
            f"unsupported emulator state version {data.get('version')!r}; expected {STATE_VERSION}"
        )
    for raw in data["files"]:
        record = FileRecord(**raw)
        state.files[record.id] = record
    for raw in data["jobs"]:
        events = [EventRecord(**e) for e in raw.pop("events")]
        checkpoints = [CheckpointRecord(**c) for c in raw.pop("checkpoints")]
        job = JobRecord(**raw, events=events, checkpoints=checkpoints)
        state.jobs[job.id] = job
    state.deployments = dict(data["deployments"])
    state.slot_free_at = float(data["slot_free_at"])
    state.simulated_now = float(data["simulated_now"])
