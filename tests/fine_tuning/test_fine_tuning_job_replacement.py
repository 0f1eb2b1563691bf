"""Replacing and deleting jobs without harming the one that replaces them: a failed job's delete keeps the
data its replacement trains on, an active job is cancelled before its replacement is created, and an
unanswered create whose job list also fails keeps its uploads for the re-run to adopt."""

from __future__ import annotations

import pytest
from fine_tuning_harness import Emulator, job_props, own_files, wait_until

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.fine_tuning import inputs, lifecycle
from ftstack.fine_tuning.client import Connection, FineTuningClient
from ftstack.fine_tuning.errors import JobMayExistError
from ftstack.fine_tuning.runtime import Pacing, Runtime

pytestmark = pytest.mark.e2e


def test_deleting_a_failed_job_keeps_the_files_its_replacement_trains_on(emulator: Emulator) -> None:
    emulator.inject(route="POST /fine_tuning/jobs", kind="job_fail", times=1, message="capacity lost")
    provider = FineTuningJobProvider()
    props = job_props(emulator.url, wait=False, hyperparameters={"n_epochs": 20})
    old = provider.create(props)
    client = emulator.client()
    wait_until(lambda: (client.retrieve_job(old.id) or {}).get("status") == "failed")

    # The replacement has the same inputs (the same adoption key), so it reuses the uploads by name.
    replacement = provider.create(props)
    provider.delete(old.id, {**old.outs, "status": "failed"})

    assert replacement.id != old.id
    assert {f["id"] for f in own_files(client)} == {
        replacement.outs["training_file_id"],
        replacement.outs["validation_file_id"],
    }
    assert emulator.admin("GET", "/emulator/stats")["files_deleted_under_live_jobs"] == 0
    finished = wait_until(
        lambda: (j := client.retrieve_job(replacement.id)) and j["status"] == "succeeded" and j
    )
    assert finished["fine_tuned_model"]


@pytest.mark.parametrize(
    ("status", "cancel_first"), [("running", True), ("pending", True), ("succeeded", False)]
)
def test_an_active_job_is_cancelled_before_its_replacement_is_created(
    emulator: Emulator, status: str, cancel_first: bool
) -> None:
    olds = {**job_props(emulator.url), "status": status}
    news = job_props(
        emulator.url, hyperparameters={"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 1.0}
    )

    diff = FineTuningJobProvider().diff("ftjob-old", olds, news)

    assert "hyperparameters" in diff.replaces
    assert diff.delete_before_replace is cancel_first


def test_an_unanswered_create_whose_job_list_fails_keeps_the_uploads_for_a_rerun(emulator: Emulator) -> None:
    emulator.inject(route="POST /fine_tuning/jobs", kind="drop", times=1)
    emulator.inject(route="GET /fine_tuning/jobs", kind="500", times=None, skip=1)
    spec = inputs.spec_from_props(job_props(emulator.url))
    service = FineTuningClient(Connection(endpoint=emulator.url, max_retries=0, timeout=2))
    runtime = Runtime(pacing=Pacing(first=0.05, longest=0.2), adoption_window=1.0)

    with pytest.raises(JobMayExistError) as raised:
        lifecycle.create(service, spec, runtime)

    assert "the job may exist" in str(raised.value) and "run the update again" in str(raised.value)
    assert len(own_files(emulator.client())) == 2
    emulator.admin("DELETE", "/emulator/faults")
    rerun = lifecycle.create(
        service, spec, Runtime(pacing=Pacing(first=0.05, longest=0.2), adoption_window=1.0)
    )
    assert rerun.status == "succeeded"
    assert [j["id"] for j in emulator.client().list_jobs()] == [rerun.job_id]
    service.close()
