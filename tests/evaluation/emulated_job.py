"""A fine-tuning job trained on the emulator with the raw openai SDK, for the evaluation and report tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from ftstack.emulator.server import running_emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "support-chat"
BASE_MODEL = "gpt-4o-mini-2024-07-18"
# Simulated seconds per real second: the 3-epoch job on 36 examples finishes in well under a second.
TIME_SCALE = 100_000
TERMINAL = ("succeeded", "failed", "cancelled")
# The emulator's admin routes need a credential like its API routes (any one: no token is configured).
ADMIN_HEADERS = {"api-key": "test-token"}


@dataclass(frozen=True)
class TrainedJob:
    """A succeeded job on an emulator: where it runs, its id and models."""

    url: str
    job_id: str
    base_model: str
    fine_tuned_model: str


def _wait(check: Callable[[], bool], deadline_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the emulator did not finish in time")
        time.sleep(0.02)


def train_support_chat_job(url: str, n_epochs: int = 3) -> TrainedJob:
    """Upload the example data, train gpt-4o-mini on it and wait until the job succeeded."""
    sdk = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="test-key")
    try:
        files = [
            sdk.files.create(file=(name, (EXAMPLES / name).read_bytes()), purpose="fine-tune")
            for name in ("training.jsonl", "validation.jsonl")
        ]
        _wait(lambda: all(sdk.files.retrieve(f.id).status in ("processed", "error") for f in files))
        job = sdk.fine_tuning.jobs.create(
            model=BASE_MODEL,
            training_file=files[0].id,
            validation_file=files[1].id,
            hyperparameters={"n_epochs": n_epochs},
            extra_body={"trainingType": "Standard"},
        )
        _wait(lambda: sdk.fine_tuning.jobs.retrieve(job.id).status in TERMINAL)
        done = sdk.fine_tuning.jobs.retrieve(job.id)
        assert done.status == "succeeded" and done.fine_tuned_model, done
        return TrainedJob(url, job.id, BASE_MODEL, done.fine_tuned_model)
    finally:
        sdk.close()


def chat_completions(url: str) -> dict[str, int]:
    """Chat completions the emulator answered since its counts were last reset, per deployment."""
    stats = httpx.get(f"{url}/emulator/stats", headers=ADMIN_HEADERS).json()
    counts: dict[str, int] = stats["chat_completions_by_deployment"]
    return counts


def chat_requests(url: str) -> int:
    """Chat-completion requests the emulator received since its counts were reset (refused ones included)."""
    stats: dict[str, int] = httpx.get(f"{url}/emulator/stats", headers=ADMIN_HEADERS).json()
    return int(stats["chat_completions"])


def reset_emulator(url: str) -> None:
    """Forget request counts and fault rules."""
    httpx.delete(f"{url}/emulator/stats", headers=ADMIN_HEADERS).raise_for_status()
    httpx.delete(f"{url}/emulator/faults", headers=ADMIN_HEADERS).raise_for_status()


@pytest.fixture(scope="module")
def trained_job() -> Iterator[TrainedJob]:
    """An emulator with a succeeded support-chat job (shared by a module's tests)."""
    with running_emulator(time_scale=TIME_SCALE) as url:
        yield train_support_chat_job(url)


@pytest.fixture
def job(trained_job: TrainedJob) -> Iterator[TrainedJob]:
    """The shared job, with the emulator's request counts and fault rules reset for this test."""
    reset_emulator(trained_job.url)
    yield trained_job
    reset_emulator(trained_job.url)
