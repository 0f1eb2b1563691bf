"""Faults that process the request and then lose or replace the answer (`drop_after`, `500_after`,
`503_after`, each possibly `lag` seconds late), a `slow` that processes after the client has gone, and
the switch that fails a pending job whose file is deleted."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from emulator_harness import KEY, admin, azure_client, processed_file, wait_until

from ftstack.emulator import parse_fault_spec, running_emulator

JOBS = "/openai/v1/fine_tuning/jobs"
HEADERS = {"api-key": KEY}


def _create_body(file_id: str) -> dict[str, str]:
    return {"model": "gpt-4o-mini-2024-07-18", "training_file": file_id}


def _job_count(url: str) -> int:
    return len(httpx.get(url + JOBS, headers=HEADERS).json()["data"])


def test_a_dropped_answer_after_processing_leaves_the_job_created(
    fast_emulator: str, training_file: Path
) -> None:
    uploaded = processed_file(azure_client(fast_emulator), training_file)
    admin(
        fast_emulator, "POST", "/emulator/faults", {"route": "POST /fine_tuning/jobs", "kind": "drop_after"}
    )

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(fast_emulator + JOBS, json=_create_body(uploaded.id), headers=HEADERS)

    assert _job_count(fast_emulator) == 1


@pytest.mark.parametrize("kind", ["500_after", "503_after"])
def test_a_replaced_answer_says_error_although_the_job_was_created(
    fast_emulator: str, training_file: Path, kind: str
) -> None:
    uploaded = processed_file(azure_client(fast_emulator), training_file)
    admin(fast_emulator, "POST", "/emulator/faults", {"route": "POST /fine_tuning/jobs", "kind": kind})

    answer = httpx.post(fast_emulator + JOBS, json=_create_body(uploaded.id), headers=HEADERS)

    assert answer.status_code == int(kind[:3])
    assert answer.json()["error"]["type"] == "server_error"
    assert _job_count(fast_emulator) == 1


def test_a_lagged_fault_processes_the_request_after_the_answer_was_lost(
    fast_emulator: str, training_file: Path
) -> None:
    uploaded = processed_file(azure_client(fast_emulator), training_file)
    admin(
        fast_emulator,
        "POST",
        "/emulator/faults",
        {"route": "POST /fine_tuning/jobs", "kind": "500_after", "lag": 0.5},
    )

    answer = httpx.post(fast_emulator + JOBS, json=_create_body(uploaded.id), headers=HEADERS)
    just_after = _job_count(fast_emulator)
    late = admin(fast_emulator, "GET", "/emulator/faults")["late"]

    assert answer.status_code == 500 and just_after == 0 and late == 1
    assert wait_until(lambda: _job_count(fast_emulator) == 1, timeout=5)
    assert admin(fast_emulator, "GET", "/emulator/faults")["late"] == 0


def test_a_lagged_fault_armed_with_the_command_line_syntax_creates_the_job_late(training_file: Path) -> None:
    rule = parse_fault_spec("route=POST /fine_tuning/jobs,kind=503_after,lag=0.3")
    with running_emulator(region="swedencentral", time_scale=5000, faults=[rule]) as url:
        uploaded = processed_file(azure_client(url), training_file)

        answer = httpx.post(url + JOBS, json=_create_body(uploaded.id), headers=HEADERS)

        assert answer.status_code == 503
        assert wait_until(lambda: _job_count(url) == 1, timeout=5)


def test_a_slow_answer_is_processed_even_when_the_client_gave_up(
    fast_emulator: str, training_file: Path
) -> None:
    uploaded = processed_file(azure_client(fast_emulator), training_file)
    admin(
        fast_emulator,
        "POST",
        "/emulator/faults",
        {"route": "POST /fine_tuning/jobs", "kind": "slow", "delay": 1.0},
    )

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(fast_emulator + JOBS, json=_create_body(uploaded.id), headers=HEADERS, timeout=0.3)

    assert _job_count(fast_emulator) == 0
    time.sleep(0.2)
    assert wait_until(lambda: _job_count(fast_emulator) == 1, timeout=5)


def test_the_deleted_file_switch_fails_a_pending_job_that_needed_the_file(training_file: Path) -> None:
    # A real-time clock: the job stays pending (validating its files) for a simulated minute.
    with running_emulator(time_scale=1) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        admin(url, "POST", "/emulator/faults", {"kind": "fail_on_deleted_file", "times": None})
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)

        client.files.delete(uploaded.id)

        failed = client.fine_tuning.jobs.retrieve(job.id)
        deleted_under_live = admin(url, "GET", "/emulator/stats")["files_deleted_under_live_jobs"]
    assert failed.status == "failed" and failed.error is not None
    assert uploaded.id in failed.error.message and "deleted" in failed.error.message
    assert deleted_under_live == 1


def test_without_the_switch_a_deleted_file_is_only_counted(training_file: Path) -> None:
    with running_emulator(time_scale=1) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)

        client.files.delete(uploaded.id)

        status = client.fine_tuning.jobs.retrieve(job.id).status
        deleted_under_live = admin(url, "GET", "/emulator/stats")["files_deleted_under_live_jobs"]
    assert status == "pending"
    assert deleted_under_live == 1
