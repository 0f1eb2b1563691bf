"""Identifiers shaped like the service's: `file-<hex>`, `ftjob-<hex>`, `ftchkpt-<hex>`, `ftevent-<hex>`.

Files, jobs and fine-tuned models get random ids when they are created (and saved before the answer).
What a job produces later (events, checkpoints, its results file) is revealed lazily as simulated time
passes, so those ids are derived from the job's id and position: revealing the same moment twice (after a
restart, say) names it the same way.
"""

from __future__ import annotations

import hashlib
import secrets


def hex32() -> str:
    """32 random lowercase hex digits."""
    return secrets.token_hex(16)


def _derived(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:32]


def file_id() -> str:
    """A new file id."""
    return f"file-{hex32()}"


def job_id() -> str:
    """A new fine-tuning job id."""
    return f"ftjob-{hex32()}"


def checkpoint_id(job: str, step: int) -> str:
    """The id of a job's checkpoint at `step`, in the `ftchkpt-<32 hex>` form the deployment docs show."""
    return f"ftchkpt-{_derived(job, 'checkpoint', step)}"


def event_id(job: str, index: int) -> str:
    """The id of a job's `index`-th event."""
    return f"ftevent-{_derived(job, 'event', index)}"


def results_file_id(job: str) -> str:
    """The id of a job's results file."""
    return f"file-{_derived(job, 'results')}"


def fine_tuned_model_id(base_model: str) -> str:
    """A fine-tuned model id, `<base>-<version>.ft-<32 hex>`."""
    return f"{base_model}.ft-{hex32()}"
