"""The chat client against the emulator: Retry-After is honoured and persistent 5xx become reported failures."""

from __future__ import annotations

import socket

import httpx
import pytest

from ftstack.evaluation.chat_client import ChatClient, Endpoint, RequestFailedError, RequestParams
from tests.evaluation.emulated_job import ADMIN_HEADERS, TrainedJob, chat_requests

pytestmark = pytest.mark.e2e

QUESTION = [{"role": "user", "content": "How do I reset my router?"}]


def _fault(job: TrainedJob, **rule: object) -> None:
    rule.setdefault("route", "POST /deployments/*/chat/completions")
    httpx.post(f"{job.url}/emulator/faults", json=rule, headers=ADMIN_HEADERS).raise_for_status()


def test_throttled_requests_wait_the_servers_retry_after_then_succeed(job: TrainedJob) -> None:
    _fault(job, kind="429", times=2, retry_after=7)
    waits: list[float] = []
    # No SDK retries here, so the outer retry is what must honour Retry-After.
    client = ChatClient(Endpoint(job.url, token="t"), sdk_max_retries=0, sleep=waits.append)
    try:
        answer = client.complete(job.base_model, QUESTION, RequestParams())
    finally:
        client.close()
    assert answer.text and answer.prompt_tokens > 0
    assert waits == [7.0, 7.0]
    assert chat_requests(job.url) == 3


def test_a_server_error_that_outlasts_the_retries_is_a_non_fatal_failure(job: TrainedJob) -> None:
    _fault(job, kind="500", times=None)
    client = ChatClient(
        Endpoint(job.url, token="t"), sdk_max_retries=0, outer_attempts=3, sleep=lambda _: None
    )
    try:
        with pytest.raises(RequestFailedError, match="HTTP 500 after retries") as caught:
            client.complete(job.base_model, QUESTION, RequestParams())
    finally:
        client.close()
    assert not caught.value.fatal
    assert chat_requests(job.url) == 3


def test_the_fine_tuned_model_answers_from_its_training_data_and_the_base_does_not(job: TrainedJob) -> None:
    client = ChatClient(Endpoint(job.url, token="t"))
    try:
        tuned = client.complete(job.fine_tuned_model, QUESTION, RequestParams()).text
        base = client.complete(job.base_model, QUESTION, RequestParams()).text
    finally:
        client.close()
    assert "reset button" in tuned
    assert tuned != base


def test_an_unreachable_endpoint_is_fatal_without_waiting_on_outer_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    waits: list[float] = []
    client = ChatClient(
        Endpoint(f"http://127.0.0.1:{closed_port}", token="t"), sdk_max_retries=0, sleep=waits.append
    )
    try:
        with pytest.raises(RequestFailedError, match="cannot reach") as caught:
            client.complete("gpt-4o-mini", QUESTION, RequestParams())
    finally:
        client.close()
    assert caught.value.fatal
    assert waits == []
