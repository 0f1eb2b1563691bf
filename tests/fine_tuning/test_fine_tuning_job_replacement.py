"""Replacing and deleting jobs without harming the one that replaces them: a failed job's delete keeps the
data its replacement trains on, an active job is cancelled before its replacement is created, an
unanswered create whose job list also fails keeps its uploads for the re-run to adopt, and a replacement
that died with its create unanswered is adopted, not submitted again, although the failed job it
replaces already trains on the same uploads."""

from __future__ import annotations

import time

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


class _Killed(BaseException):
    """The provider process dies (a BaseException: no clean-up handler runs, as under SIGKILL)."""


def test_a_replacement_killed_while_its_create_was_unanswered_adopts_the_late_job_on_the_rerun(
    emulator: Emulator,
) -> None:
    emulator.inject(route="POST /fine_tuning/jobs", kind="job_fail", times=1, message="capacity lost")
    spec = inputs.spec_from_props(job_props(emulator.url, wait=False, hyperparameters={"n_epochs": 20}))
    service = FineTuningClient(Connection(endpoint=emulator.url, timeout=2))
    failed = lifecycle.create(service, spec, Runtime(pacing=Pacing(first=0.05, longest=0.2)))
    wait_until(lambda: (service.retrieve_job(failed.job_id) or {}).get("status") == "failed")
    # The replacement (same inputs, same key, the failed job's uploads) loses its create's answer; the
    # service creates the job 1.5 s later, after the provider process died looking for it.
    emulator.inject(route="POST /fine_tuning/jobs", kind="drop_after", lag=1.5)

    def die_once_the_create_is_lost(seconds: float) -> None:
        if any(f["kind"] == "drop_after" and f["fired"] for f in emulator.faults()):
            raise _Killed
        time.sleep(seconds)

    with pytest.raises(_Killed):
        lifecycle.create(
            service, spec, Runtime(pacing=Pacing(first=0.05, longest=0.2), sleep=die_once_the_create_is_lost)
        )
    rerun = lifecycle.create(
        service, spec, Runtime(pacing=Pacing(first=0.05, longest=0.2), adoption_window=5)
    )
    wait_until(lambda: emulator.admin("GET", "/emulator/faults")["late"] == 0)

    not_failed = [j["id"] for j in service.list_jobs() if j["status"] != "failed"]
    assert not_failed == [rerun.job_id]
    service.close()
