"""What the provider does when the service misbehaves (faults injected into the emulator over real HTTP):
rate limits and server errors are retried, honouring Retry-After; a dropped job creation makes no second
job, nor does one the service processed after its answer was lost; a failed job surfaces the service's
message and leaves no files behind."""

from __future__ import annotations

import time

import pytest
from fine_tuning_harness import Emulator, job_props, own_files

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.fine_tuning.errors import JobFailedError

pytestmark = pytest.mark.e2e


def fired(emulator: Emulator) -> dict[str, int]:
    """How often each armed rule fired, by `kind route`."""
    return {f"{f['kind']} {f['route']}": f["fired"] for f in emulator.faults()}


def test_rate_limited_uploads_are_retried_after_the_delay_the_service_asks_for(emulator: Emulator) -> None:
    emulator.inject(route="POST /files", kind="429", times=2, retry_after=1)
    started = time.monotonic()
    created = FineTuningJobProvider().create(job_props(emulator.url))
    elapsed = time.monotonic() - started

    assert created.outs["status"] == "succeeded"
    assert fired(emulator) == {"429 POST /files": 2}
    # Two answers each said "Retry-After: 1"; the client waited them out rather than its own shorter backoff.
    assert elapsed >= 2.0
    assert len(own_files(emulator.client())) == 2


def test_server_errors_while_waiting_are_retried_until_the_job_ends(emulator: Emulator) -> None:
    emulator.inject(route="GET /files/*", kind="500", times=2)
    emulator.inject(route="GET /fine_tuning/jobs/*", kind="503", times=2)
    created = FineTuningJobProvider().create(job_props(emulator.url))

    assert created.outs["status"] == "succeeded"
    assert fired(emulator) == {"500 GET /files/*": 2, "503 GET /fine_tuning/jobs/*": 2}


def test_a_rate_limited_job_creation_is_submitted_once_after_retry_after(emulator: Emulator) -> None:
    emulator.inject(route="POST /fine_tuning/jobs", kind="429", times=1, retry_after=1)
    created = FineTuningJobProvider().create(job_props(emulator.url))

    assert created.outs["status"] == "succeeded"
    assert fired(emulator) == {"429 POST /fine_tuning/jobs": 1}
    assert [j["id"] for j in emulator.client().list_jobs()] == [created.id]


def test_a_dropped_connection_while_creating_the_job_makes_no_second_job(emulator: Emulator) -> None:
    emulator.inject(route="POST /fine_tuning/jobs", kind="drop", times=2)
    created = FineTuningJobProvider().create(job_props(emulator.url))

    assert created.outs["status"] == "succeeded"
    assert fired(emulator) == {"drop POST /fine_tuning/jobs": 2}
    assert [j["id"] for j in emulator.client().list_jobs()] == [created.id]


@pytest.mark.parametrize("kind", ["drop_after", "503_after"])
def test_a_job_create_processed_after_its_answer_was_lost_is_adopted_not_submitted_again(
    emulator: Emulator, kind: str
) -> None:
    # The service creates the job 1.5 s after the client lost the answer (the fault matrix runs every
    # other kind and lag).
    emulator.inject(route="POST /fine_tuning/jobs", kind=kind, times=1, lag=1.5)
    created = FineTuningJobProvider().create(job_props(emulator.url))

    assert created.outs["status"] == "succeeded"
    assert fired(emulator) == {f"{kind} POST /fine_tuning/jobs": 1}
    assert [j["id"] for j in emulator.client().list_jobs()] == [created.id]
    assert emulator.requests("POST /fine_tuning/jobs") == 1


def test_a_failed_job_surfaces_the_services_message_and_leaves_no_files(emulator: Emulator) -> None:
    message = "The training data contains content that violates the usage policy."
    emulator.inject(route="POST /fine_tuning/jobs", kind="job_fail", times=1, message=message)
    provider = FineTuningJobProvider()
    props = job_props(emulator.url)

    with pytest.raises(JobFailedError) as raised:
        provider.create(props)
    assert str(raised.value).startswith(f"fine-tuning job {raised.value.job_id} failed: ")
    assert message in str(raised.value)
    client = emulator.client()
    assert own_files(client) == []

    # A failed job is never adopted: the next attempt trains afresh.
    retried = provider.create(props)
    assert retried.id != raised.value.job_id
    assert retried.outs["status"] == "succeeded"
    assert {j["id"]: j["status"] for j in client.list_jobs()} == {
        raised.value.job_id: "failed",
        retried.id: "succeeded",
    }
