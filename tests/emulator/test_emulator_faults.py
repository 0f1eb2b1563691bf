"""Fault injection, per route: 429 with Retry-After, 500, 503, dropped connections, slow answers and a
job that fails; armed through the admin route, the settings or the CLI syntax."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import openai
import pytest
from emulator_harness import KEY, admin, azure_client, finished_job, processed_file

from ftstack.emulator import FaultRule, parse_fault_spec, running_emulator

MODELS = "/openai/v1/models"
HEADERS = {"api-key": KEY}


def test_a_429_carries_retry_after_and_stops_after_its_count(fast_emulator: str) -> None:
    admin(
        fast_emulator,
        "POST",
        "/emulator/faults",
        {"route": "GET /models", "kind": "429", "times": 2, "retry_after": 7},
    )

    answers = [httpx.get(fast_emulator + MODELS, headers=HEADERS) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["retry-after"] == "7"
    assert answers[0].json()["error"]["code"] == "tooManyRequests"
    assert answers[0].json()["error"]["type"] == "invalid_request_error"


def test_the_sdk_retries_through_injected_429s(fast_emulator: str) -> None:
    admin(
        fast_emulator,
        "POST",
        "/emulator/faults",
        {"route": "GET /models", "kind": "429", "times": 2, "retry_after": 0},
    )

    models = azure_client(fast_emulator, max_retries=2).models.list()

    assert models.data
    assert admin(fast_emulator, "GET", "/emulator/stats")["routes"]["GET /openai/models"] == 3


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_answered_on_the_chosen_route_only(fast_emulator: str, kind: str) -> None:
    admin(fast_emulator, "POST", "/emulator/faults", {"route": "GET /models", "kind": kind})

    faulted = httpx.get(fast_emulator + MODELS, headers=HEADERS)
    other = httpx.get(fast_emulator + "/openai/v1/files", headers=HEADERS)

    assert faulted.status_code == int(kind) and "error" in faulted.json()
    assert other.status_code == 200


def test_a_dropped_connection_gets_no_answer(fast_emulator: str) -> None:
    admin(fast_emulator, "POST", "/emulator/faults", {"route": "GET /models", "kind": "drop"})

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(fast_emulator + MODELS, headers=HEADERS)
    assert httpx.get(fast_emulator + MODELS, headers=HEADERS).status_code == 200


def test_a_slow_route_answers_after_its_delay(fast_emulator: str) -> None:
    admin(fast_emulator, "POST", "/emulator/faults", {"route": "GET /models", "kind": "slow", "delay": 0.5})

    started = time.monotonic()
    answer = httpx.get(fast_emulator + MODELS, headers=HEADERS)

    assert answer.status_code == 200 and time.monotonic() - started >= 0.5


def test_skip_lets_the_first_requests_through(fast_emulator: str) -> None:
    admin(fast_emulator, "POST", "/emulator/faults", {"route": "GET /models", "kind": "503", "skip": 1})

    codes = [httpx.get(fast_emulator + MODELS, headers=HEADERS).status_code for _ in range(3)]

    assert codes == [200, 503, 200]


def test_an_injected_job_failure_fails_the_next_job_with_its_message(
    fast_emulator: str, training_file: Path
) -> None:
    admin(
        fast_emulator,
        "POST",
        "/emulator/faults",
        {"route": "POST /fine_tuning/jobs", "kind": "job_fail", "message": "capacity lost"},
    )
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    failing = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
    healthy = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)

    failed = finished_job(client, failing.id)
    assert (
        failed.status == "failed"
        and failed.error.message == "capacity lost"
        and failed.fine_tuned_model is None
    )
    assert finished_job(client, healthy.id).status == "succeeded"


def test_faults_from_settings_apply_from_the_first_request() -> None:
    with running_emulator(faults=[FaultRule(route="*", kind="503", times=None)]) as url:
        with pytest.raises(openai.InternalServerError):
            azure_client(url, max_retries=0).models.list()
        assert admin(url, "GET", "/emulator/faults")["faults"][0]["fired"] == 1


def test_the_cli_fault_syntax_reads_route_kind_and_counts() -> None:
    rule = parse_fault_spec("route=POST /files,kind=429,times=2,retry_after=3")
    forever = parse_fault_spec("route=GET /fine_tuning/jobs/{id},kind=slow,delay=1.5,times=always")

    assert (rule.route, rule.kind, rule.times, rule.retry_after) == ("POST /files", "429", 2, 3)
    assert forever.times is None and forever.matches("GET", "/fine_tuning/jobs/ftjob-1")
    with pytest.raises(ValueError, match="kind"):
        parse_fault_spec("route=POST /files,kind=teapot")
