"""The whole fine-tuning lifecycle through the raw `openai` SDK, over real HTTP: against the emulator on
loopback, or against a real Azure OpenAI account when FTSTACK_TEST_ENDPOINT is set (Entra ID through
DefaultAzureCredential; FTSTACK_TEST_MODEL, FTSTACK_TEST_MODEL_VERSION, FTSTACK_TEST_TRAINING_TYPE and
FTSTACK_TEST_WAIT_SECONDS pick the job and the wait bound)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import openai
import pytest
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from fine_tuning_harness import EXAMPLES, TIME_SCALE, TOKEN

from ftstack.catalog import TrainingType
from ftstack.emulator.server import running_emulator

pytestmark = pytest.mark.e2e

API_VERSION = "2025-04-01-preview"


@dataclass(frozen=True)
class Target:
    """An account to run the lifecycle against, and the job to run there."""

    sdk: openai.AzureOpenAI
    base_model: str
    training_type: TrainingType
    wait_seconds: float


@pytest.fixture
def target() -> Iterator[Target]:
    """The real account named by FTSTACK_TEST_ENDPOINT, or an emulator in francecentral."""
    real = os.environ.get("FTSTACK_TEST_ENDPOINT")
    model = os.environ.get("FTSTACK_TEST_MODEL", "gpt-4.1-mini")
    version = os.environ.get("FTSTACK_TEST_MODEL_VERSION", "2025-04-14")
    training = TrainingType(
        os.environ.get("FTSTACK_TEST_TRAINING_TYPE", "global" if not real else "standard")
    )
    if real:
        tokens = get_bearer_token_provider(
            DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default"
        )
        sdk = openai.AzureOpenAI(azure_endpoint=real, api_version=API_VERSION, azure_ad_token_provider=tokens)
        yield Target(
            sdk, f"{model}-{version}", training, float(os.environ.get("FTSTACK_TEST_WAIT_SECONDS", "14400"))
        )
        return
    with running_emulator(region="francecentral", time_scale=TIME_SCALE, token=TOKEN) as url:
        sdk = openai.AzureOpenAI(azure_endpoint=url, api_version=API_VERSION, azure_ad_token=TOKEN)
        yield Target(sdk, f"{model}-{version}", training, 30.0)


def test_a_job_runs_from_upload_to_checkpoints_through_the_raw_sdk(target: Target) -> None:
    sdk = target.sdk
    uploaded = [
        sdk.files.create(file=(EXAMPLES / name).open("rb"), purpose="fine-tune")
        for name in ("training.jsonl", "validation.jsonl")
    ]
    job_id = None
    try:
        for file in uploaded:
            processed = sdk.files.wait_for_processing(
                file.id, poll_interval=0.2, max_wait_seconds=target.wait_seconds
            )
            assert processed.status == "processed"

        job = sdk.fine_tuning.jobs.create(
            model=target.base_model,
            training_file=uploaded[0].id,
            validation_file=uploaded[1].id,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
            suffix="raw-sdk",
            seed=7,
            extra_body={"trainingType": target.training_type.azure_value},
        )
        job_id = job.id
        assert job.status in ("pending", "validating_files", "queued", "running")

        deadline = time.monotonic() + target.wait_seconds
        while job.status not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, f"job {job.id} still {job.status} at the end of the bound"
            time.sleep(0.2)
            job = sdk.fine_tuning.jobs.retrieve(job.id)

        assert job.status == "succeeded", job.error
        assert job.fine_tuned_model is not None
        assert job.fine_tuned_model.startswith(f"{target.base_model}.ft-")
        assert job.trained_tokens and job.trained_tokens > 0
        checkpoints = list(sdk.fine_tuning.jobs.checkpoints.list(job.id))
        assert checkpoints, "a succeeded job has checkpoints"
        assert {"train_loss", "valid_loss"} <= set(checkpoints[0].metrics.to_dict())
        assert all(c.fine_tuned_model_checkpoint.startswith(job.fine_tuned_model) for c in checkpoints)
        events = sdk.fine_tuning.jobs.list_events(job.id, limit=50).data
        assert events, "a job reports its progress as events"
        assert job.id in {j.id for j in sdk.fine_tuning.jobs.list()}
    finally:
        if job_id is not None:
            current = sdk.fine_tuning.jobs.retrieve(job_id)
            if current.status not in ("succeeded", "failed", "cancelled"):
                sdk.fine_tuning.jobs.cancel(job_id)
        for file in uploaded:
            sdk.files.delete(file.id)
    assert not {f.id for f in uploaded} & {f.id for f in sdk.files.list()}
