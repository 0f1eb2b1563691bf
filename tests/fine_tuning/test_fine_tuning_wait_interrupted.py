"""The real `python -m pulumi.dynamic` server, started the way the engine starts it (the engine's address as
its argument): progress reaches the engine's log under the resource's URN, and Ctrl-C (SIGINT) while it
waits ends the wait at once with a clear message, leaving the job training for the next run to adopt."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from fine_tuning_harness import (
    REQUEST_TIMEOUT,
    TOKEN,
    URN,
    DynamicProviderProcess,
    Emulator,
    job_props,
    wait_until,
)
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2_grpc

from ftstack.emulator.server import running_emulator
from ftstack.fine_tuning.client import ENDPOINT_ENV, TIMEOUT_ENV, TOKEN_ENV

pytestmark = pytest.mark.e2e


class FakeEngine(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    """The engine's Log service: records every line with the URN it is attributed to."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def Log(self, request: Any, context: Any) -> Any:  # the gRPC method's name
        with self._lock:
            self.lines.append((request.urn, request.message))
        return empty_pb2.Empty()

    def messages(self, urn: str) -> list[str]:
        with self._lock:
            return [message for at, message in self.lines if at == urn]


@pytest.fixture
def engine() -> Iterator[tuple[FakeEngine, str]]:
    servicer = FakeEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(0)


@pytest.fixture
def slow_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose jobs train for minutes (simulated time runs 5x), so a wait is still going on."""
    with running_emulator(region="francecentral", time_scale=5.0, token=TOKEN) as url:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        monkeypatch.setenv(TIMEOUT_ENV, REQUEST_TIMEOUT)
        monkeypatch.delenv(ENDPOINT_ENV, raising=False)
        yield Emulator(url)


def test_progress_reaches_the_engines_log_under_the_resources_urn(
    engine: tuple[FakeEngine, str], swedish_emulator: Emulator
) -> None:
    fake, address = engine
    provider = DynamicProviderProcess({TOKEN_ENV: TOKEN}, address)
    try:
        inputs = job_props(
            swedish_emulator.url,
            base_model="gpt-4o-mini",
            model_version="2024-07-18",
            training_type="standard",
        )
        job_id, _ = provider.create(inputs, "support-bot")
    finally:
        provider.close()

    lines = fake.messages(URN.format(name="support-bot"))
    assert any(line.startswith("submitted fine-tuning job") for line in lines)
    assert any(line.startswith(f"job {job_id}: ") and line.endswith("-> succeeded") for line in lines)
    assert "submitted fine-tuning job" not in provider_stderr_or_empty(provider)


def provider_stderr_or_empty(provider: DynamicProviderProcess) -> str:
    return provider.stderr_path.read_text(errors="replace") if provider.stderr_path.exists() else ""


def test_ctrl_c_while_waiting_ends_the_wait_cleanly_and_leaves_the_job_to_adopt(
    engine: tuple[FakeEngine, str], slow_emulator: Emulator
) -> None:
    fake, address = engine
    provider = DynamicProviderProcess({TOKEN_ENV: TOKEN}, address)
    inputs = job_props(slow_emulator.url, wait_timeout_seconds=3600)
    client = slow_emulator.client()
    outcome: dict[str, BaseException] = {}

    def deploy() -> None:
        try:
            provider.create(inputs, "support-bot")
        except grpc.RpcError as error:
            outcome["error"] = error

    attempt = threading.Thread(target=deploy)
    attempt.start()
    (submitted,) = wait_until(lambda: client.list_jobs())
    os.kill(provider.process.pid, signal.SIGINT)

    assert provider.process.wait(timeout=15) is not None
    attempt.join(timeout=10)
    assert "error" in outcome
    urn = URN.format(name="support-bot")
    (said,) = [line for line in fake.messages(urn) if "interrupted" in line]
    assert said.startswith("support-bot: waiting was interrupted")
    assert "the job keeps training and the next `pulumi up` adopts it" in said
    # Nothing was cancelled: the next run adopts the job instead of training it again.
    assert client.retrieve_job(submitted["id"])["status"] in ("pending", "queued", "running")  # type: ignore[index]
    provider.close()

    again = DynamicProviderProcess({TOKEN_ENV: TOKEN})
    try:
        result: dict[str, Any] = {}
        rerun = threading.Thread(
            target=lambda: result.update(
                dict(zip(("id", "outs"), again.create(inputs, "support-bot"), strict=True))
            )
        )
        rerun.start()
        wait_until(lambda: f"adopting job {submitted['id']}" in again.stderr())
        slow_emulator.admin("POST", "/emulator/clock", {"advance_seconds": 86400})
        rerun.join(timeout=60)
        assert result["id"] == submitted["id"]
        assert result["outs"]["status"] == "succeeded"
        assert [j["id"] for j in client.list_jobs()] == [submitted["id"]]
    finally:
        again.close()
        client.close()
