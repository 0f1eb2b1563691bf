"""The FineTuningJob provider called directly (as the dynamic server calls it), over real HTTP against the
emulator on loopback: create to success, read, delete, bounded waits, and what a refusal leaves behind."""

from __future__ import annotations

import pytest
from fine_tuning_harness import Emulator, job_props, own_files, wait_until

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.fine_tuning.client import API_VERSION_ENV, TOKEN_ENV
from ftstack.fine_tuning.errors import ModelNotTrainableError, ServiceError, WaitTimeoutError

pytestmark = pytest.mark.e2e


def test_create_waits_for_success_and_returns_the_model_tokens_and_checkpoints(emulator: Emulator) -> None:
    props = job_props(emulator.url)
    created = FineTuningJobProvider().create(props)

    outs = created.outs
    assert created.id.startswith("ftjob-")
    assert outs["job_id"] == created.id
    assert outs["status"] == "succeeded"
    assert outs["fine_tuned_model"].startswith("gpt-4.1-mini-2025-04-14.ft-")
    assert outs["trained_tokens"] > 0
    # One checkpoint per epoch, in step order, each deployable.
    steps = [c["step"] for c in outs["checkpoints"]]
    assert len(steps) == 2
    assert steps == sorted(steps)
    # The final epoch's checkpoint is the final model; the one before it has its own step name.
    assert outs["checkpoints"][-1]["fine_tuned_model_checkpoint"] == outs["fine_tuned_model"]
    assert (
        outs["checkpoints"][0]["fine_tuned_model_checkpoint"]
        == f"{outs['fine_tuned_model']}:ckpt-step-{steps[0]}"
    )
    assert {"train_loss", "valid_loss", "train_mean_token_accuracy"} <= set(outs["checkpoints"][0]["metrics"])
    assert outs["result_files"]
    # The inputs travel in the outputs, so the next diff compares against them.
    assert outs["training_file_sha256"] == props["training_file_sha256"]


def test_read_refreshes_status_model_and_checkpoints(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url, wait=False))
    assert created.outs["status"] in ("pending", "running")
    assert created.outs["fine_tuned_model"] is None

    def refreshed() -> dict[str, object] | None:
        outs = provider.read(created.id, created.outs).outs
        return outs if outs["status"] == "succeeded" else None

    outs = wait_until(refreshed)
    assert outs["fine_tuned_model"]
    assert len(outs["checkpoints"]) == 2


def test_delete_cancels_a_running_job_and_deletes_its_uploaded_files(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    # Twenty epochs keep the job training for seconds, so it is still active when delete runs.
    created = provider.create(job_props(emulator.url, wait=False, hyperparameters={"n_epochs": 20}))
    client = emulator.client()
    assert len(own_files(client)) == 2

    provider.delete(created.id, created.outs)

    job = client.retrieve_job(created.id)
    assert job is not None
    assert job["status"] == "cancelled"
    assert own_files(client) == []


def test_a_job_that_outlives_the_wait_bound_fails_naming_it_and_a_rerun_adopts_it(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    # Forty epochs take about three real seconds at the emulator's pace; the bound is one.
    long_job = job_props(emulator.url, hyperparameters={"n_epochs": 40}, wait_timeout_seconds=1)
    with pytest.raises(WaitTimeoutError) as raised:
        provider.create(long_job)
    job_id = raised.value.job_id
    assert f"fine-tuning job {job_id} is still" in str(raised.value)
    assert "run the update again to adopt it" in str(raised.value)

    rerun = provider.create({**long_job, "wait": False})
    assert rerun.id == job_id
    client = emulator.client()
    assert [j["id"] for j in client.list_jobs()] == [job_id]
    provider.delete(rerun.id, rerun.outs)


def test_a_model_the_accounts_region_cannot_train_is_refused_before_anything_is_uploaded(
    emulator: Emulator,
) -> None:
    # gpt-4o-mini trains only with standard training in northcentralus and swedencentral; this account
    # is in francecentral. The provider cannot know the region, so it asks the account.
    props = job_props(
        emulator.url, base_model="gpt-4o-mini", model_version="2024-07-18", training_type="standard"
    )
    emulator.admin("DELETE", "/emulator/stats")
    with pytest.raises(ModelNotTrainableError) as raised:
        FineTuningJobProvider().create(props)
    assert str(raised.value).startswith("gpt-4o-mini-2024-07-18 cannot be fine-tuned on http://127.0.0.1:")
    assert "gpt-4.1-mini-2025-04-14" in str(raised.value)
    assert emulator.requests("GET /models/{model}") >= 1
    assert emulator.requests("POST /files") == 0
    assert emulator.client().list_jobs() == []


def test_a_training_type_the_region_refuses_gives_the_services_message_and_leaves_no_files(
    swedish_emulator: Emulator,
) -> None:
    # Global training needs a global-training region; Sweden Central is not one.
    with pytest.raises(ServiceError) as raised:
        FineTuningJobProvider().create(job_props(swedish_emulator.url, training_type="global"))
    assert raised.value.status == 400
    assert "GlobalStandard training of gpt-4.1-mini-2025-04-14 is not available" in str(raised.value)
    client = swedish_emulator.client()
    assert own_files(client) == []
    assert client.list_jobs() == []


def test_turning_wait_on_for_a_running_job_waits_for_it_in_place(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url, wait=False))
    assert created.outs["status"] in ("pending", "running")
    news = {**created.outs, "wait": True}
    assert provider.diff(created.id, created.outs, news).replaces == []

    updated = provider.update(created.id, created.outs, news)

    assert updated.outs is not None
    assert updated.outs["job_id"] == created.id
    assert updated.outs["status"] == "succeeded"
    assert updated.outs["wait"] is True


def test_a_rejected_token_stops_the_create_before_anything_is_uploaded(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    props = job_props(emulator.url)
    monkeypatch.setenv(TOKEN_ENV, "not-the-emulators-token")
    with pytest.raises(ServiceError) as raised:
        FineTuningJobProvider().create(props)
    assert raised.value.status == 401
    assert "Access denied" in str(raised.value)
    assert emulator.requests("POST /files") == 0


def test_the_v1_surface_runs_the_same_job(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_VERSION_ENV, "v1")
    emulator.admin("DELETE", "/emulator/stats")
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url))
    provider.delete(created.id, created.outs)

    assert created.outs["status"] == "succeeded"
    assert created.outs["checkpoints"]
    counts = emulator.admin("GET", "/emulator/stats")["routes"]
    assert counts["POST /openai/v1/fine_tuning/jobs"] == 1
    assert not [route for route in counts if not route.split(" ")[1].startswith("/openai/v1/")]
