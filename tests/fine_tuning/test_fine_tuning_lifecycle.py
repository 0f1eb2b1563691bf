"""The whole fine-tuning lifecycle over real HTTP, through the raw `openai` SDK and through the FineTuningJob
provider: against the emulator on loopback, or against a real Azure OpenAI account when
FTSTACK_TEST_ENDPOINT is set (see fine_tuning_harness.target_account for the variables that pick the job)."""

from __future__ import annotations

import time

import openai
import pytest
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from fine_tuning_harness import EXAMPLES, TOKEN, Account, job_props, own_files

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.catalog import TrainingType
from ftstack.fine_tuning.client import COGNITIVE_SERVICES_SCOPE, Connection, FineTuningClient

pytestmark = pytest.mark.e2e

API_VERSION = "2025-04-01-preview"
ENDED = ("succeeded", "failed", "cancelled")


def raw_sdk(account: Account) -> openai.AzureOpenAI:
    """The plain SDK client for the account: Entra ID for a real one, the emulator's token otherwise."""
    if account.real:
        tokens = get_bearer_token_provider(DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE)
        return openai.AzureOpenAI(
            azure_endpoint=account.endpoint, api_version=API_VERSION, azure_ad_token_provider=tokens
        )
    return openai.AzureOpenAI(azure_endpoint=account.endpoint, api_version=API_VERSION, azure_ad_token=TOKEN)


def test_a_job_runs_from_upload_to_checkpoints_through_the_raw_sdk(account: Account) -> None:
    sdk = raw_sdk(account)
    uploaded = [
        sdk.files.create(file=(EXAMPLES / name).open("rb"), purpose="fine-tune")
        for name in ("training.jsonl", "validation.jsonl")
    ]
    job_id = None
    try:
        for file in uploaded:
            processed = sdk.files.wait_for_processing(
                file.id, poll_interval=0.2, max_wait_seconds=account.wait_seconds
            )
            assert processed.status == "processed"

        job = sdk.fine_tuning.jobs.create(
            model=account.azure_base_model,
            training_file=uploaded[0].id,
            validation_file=uploaded[1].id,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
            suffix="raw-sdk",
            seed=7,
            extra_body={"trainingType": TrainingType(account.training_type).azure_value},
        )
        job_id = job.id
        assert job.status in ("pending", "validating_files", "queued", "running")

        deadline = time.monotonic() + account.wait_seconds
        while job.status not in ENDED:
            assert time.monotonic() < deadline, f"job {job.id} still {job.status} at the end of the bound"
            time.sleep(0.2 if not account.real else 30)
            job = sdk.fine_tuning.jobs.retrieve(job.id)

        assert job.status == "succeeded", job.error
        assert job.fine_tuned_model is not None
        assert job.fine_tuned_model.startswith(f"{account.azure_base_model}.ft-")
        assert job.trained_tokens
        checkpoints = list(sdk.fine_tuning.jobs.checkpoints.list(job.id))
        assert checkpoints, "a succeeded job has checkpoints"
        assert {"train_loss", "valid_loss"} <= set(checkpoints[0].metrics.to_dict())
        assert all(c.fine_tuned_model_checkpoint.startswith(job.fine_tuned_model) for c in checkpoints)
        assert sdk.fine_tuning.jobs.list_events(job.id, limit=50).data, "a job reports progress as events"
        assert job.id in {j.id for j in sdk.fine_tuning.jobs.list()}
    finally:
        if job_id is not None and sdk.fine_tuning.jobs.retrieve(job_id).status not in ENDED:
            sdk.fine_tuning.jobs.cancel(job_id)
        for file in uploaded:
            sdk.files.delete(file.id)
    assert not {f.id for f in uploaded} & {f.id for f in sdk.files.list()}


def test_the_provider_creates_reads_and_deletes_a_job_on_the_account(account: Account) -> None:
    provider = FineTuningJobProvider()
    props = job_props(
        account.endpoint,
        name="lifecycle",
        base_model=account.base_model,
        model_version=account.model_version,
        training_type=account.training_type,
        wait_timeout_seconds=account.wait_seconds,
    )
    created = provider.create(props)
    try:
        assert created.outs["status"] == "succeeded"
        assert created.outs["fine_tuned_model"].startswith(f"{account.azure_base_model}.ft-")
        assert created.outs["checkpoints"]

        read = provider.read(created.id, created.outs)
        assert read.id == created.id
        assert read.outs["fine_tuned_model"] == created.outs["fine_tuned_model"]
        assert read.outs["checkpoints"] == created.outs["checkpoints"]
    finally:
        provider.delete(created.id, created.outs)
    assert own_files(FineTuningClient(Connection.for_endpoint(account.endpoint))) == []
