"""Helpers of the fine-tuning tests: an emulator on loopback and its admin calls, the job's inputs, and the
real `python -m pulumi.dynamic` gRPC server driven the way the engine drives it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.emulator.server import running_emulator
from ftstack.fine_tuning.client import ENDPOINT_ENV, TIMEOUT_ENV, TOKEN_ENV, Connection, FineTuningClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "support-chat"
TOKEN = "test-token"
# Ten simulated minutes per real second: a small job ends in about a second.
TIME_SCALE = 600.0
# Seconds a request may take against the emulator (its answers take milliseconds); it is also how long
# the provider looks for a job whose create went unanswered, so the fault tests stay short.
REQUEST_TIMEOUT = "5"
REAL_ENDPOINT_ENV = "FTSTACK_TEST_ENDPOINT"
URN = "urn:pulumi:test::ftstack::pulumi-python:dynamic/ftstack:FineTuningJob::{name}"


@dataclass
class Emulator:
    """A running emulator: its base URL and the admin calls the tests use."""

    url: str

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call an `/emulator/...` admin route; returns the decoded JSON answer."""
        answer = httpx.request(
            method, f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        answer.raise_for_status()
        return answer.json()

    def inject(self, **rule: Any) -> None:
        """Arm one fault rule (`route`, `kind`, `times`, `retry_after`, `message`...)."""
        self.admin("POST", "/emulator/faults", rule)

    def faults(self) -> list[dict[str, Any]]:
        """The armed fault rules with how often each fired."""
        return list(self.admin("GET", "/emulator/faults")["faults"])

    def requests(self, route: str) -> int:
        """How many API requests `METHOD /path` (ids as `{file_id}`, `{model}`...) reached the emulator since
        the stats were last reset, on either surface."""
        counts = self.admin("GET", "/emulator/stats")["routes"]
        method, path = route.split(" ", 1)
        return sum(counts.get(f"{method} {prefix}{path}", 0) for prefix in ("/openai", "/openai/v1"))

    def client(self) -> FineTuningClient:
        """A fine-tuning client of this emulator (token from the environment the fixture set)."""
        return FineTuningClient(Connection(endpoint=self.url))


@dataclass(frozen=True)
class Account:
    """The account a lifecycle test runs against, and the job it trains there."""

    endpoint: str
    real: bool
    base_model: str
    model_version: str
    training_type: str
    wait_seconds: int

    @property
    def azure_base_model(self) -> str:
        """The base model id the API takes."""
        return f"{self.base_model}-{self.model_version}"


def target_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """The real Azure OpenAI account named by FTSTACK_TEST_ENDPOINT (Entra ID through DefaultAzureCredential;
    FTSTACK_TEST_MODEL, FTSTACK_TEST_MODEL_VERSION, FTSTACK_TEST_TRAINING_TYPE and FTSTACK_TEST_WAIT_SECONDS
    choose the job), or else an emulator in francecentral."""
    model = os.environ.get("FTSTACK_TEST_MODEL", "gpt-4.1-mini")
    version = os.environ.get("FTSTACK_TEST_MODEL_VERSION", "2025-04-14")
    real = os.environ.get(REAL_ENDPOINT_ENV)
    if real:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        monkeypatch.delenv(ENDPOINT_ENV, raising=False)
        training = os.environ.get("FTSTACK_TEST_TRAINING_TYPE", "standard")
        yield Account(
            real, True, model, version, training, int(os.environ.get("FTSTACK_TEST_WAIT_SECONDS", "14400"))
        )
        return
    for emulator in start_emulator(monkeypatch, "francecentral"):
        yield Account(emulator.url, False, model, version, "global", 60)


def start_emulator(monkeypatch: pytest.MonkeyPatch, region: str) -> Iterator[Emulator]:
    """Run an emulator in `region` and point the provider's environment at it."""
    with running_emulator(region=region, time_scale=TIME_SCALE, token=TOKEN) as url:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        monkeypatch.setenv(TIMEOUT_ENV, REQUEST_TIMEOUT)
        monkeypatch.delenv(ENDPOINT_ENV, raising=False)
        yield Emulator(url)


def job_props(endpoint: str, name: str = "support-bot", **overrides: Any) -> dict[str, Any]:
    """Checked-shape inputs of a small supervised job on the example data."""
    props: dict[str, Any] = {
        "resource_name": name,
        "endpoint": endpoint,
        "base_model": "gpt-4.1-mini",
        "model_version": "2025-04-14",
        "training_type": "global",
        "training_file": str(EXAMPLES / "training.jsonl"),
        "validation_file": str(EXAMPLES / "validation.jsonl"),
        "method": "supervised",
        "hyperparameters": {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1.0},
        "seed": 42,
        "suffix": "support-test",
        "wait": True,
        "wait_timeout_seconds": 60,
    }
    props.update(overrides)
    checked = FineTuningJobProvider().check({}, props)
    assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
    return checked.inputs


def own_files(client: FineTuningClient) -> list[dict[str, Any]]:
    """The data files ftstack uploaded (named `ftstack-...`) still on the account."""
    return [f for f in client.list_files() if str(f.get("filename", "")).startswith("ftstack-")]


# --- the real dynamic provider process ------------------------------------------------------------


def _struct(props: dict[str, Any]) -> Any:
    # A private loop, as the dynamic server does: asyncio.run() would unset the thread's current loop,
    # which pulumi.runtime.test relies on later in the same process.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


class DynamicProviderProcess:
    """`python -u -m pulumi.dynamic` started the way the engine starts it, called over gRPC."""

    def __init__(self, env: dict[str, str], engine_address: str | None = None):
        """`engine_address`: the engine's address, passed first as the engine passes it (progress then goes
        to that engine's log)."""
        # Kept open for the process's lifetime; closed and removed by close().
        self._stderr = tempfile.NamedTemporaryFile(prefix="ftstack-dynamic-", suffix=".log", delete=False)  # noqa: SIM115
        self.stderr_path = Path(self._stderr.name)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", *([engine_address] if engine_address else [])],
            cwd=ROOT,
            env={**os.environ, **env, "PULUMI_PROJECT": "ftstack"},
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.provider = serialize_provider(FineTuningJobProvider())

    def _with_provider(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": self.provider}

    def check_response(self, news: dict[str, Any], name: str) -> Any:
        """Check: the CheckResponse as the engine receives it (inputs struct, failures)."""
        return self.stub.Check(
            provider_pb2.CheckRequest(
                urn=URN.format(name=name), olds=_struct({}), news=_struct(self._with_provider(news))
            )
        )

    def check(self, news: dict[str, Any], name: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Check: the checked inputs and the failures as (property, reason)."""
        answer = self.check_response(news, name)
        failures = [(f.property, f.reason) for f in answer.failures]
        return rpc.deserialize_properties(answer.inputs), failures

    def create(self, inputs: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
        """Create: the resource id and its outputs."""
        answer = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=URN.format(name=name), properties=_struct(self._with_provider(inputs))
            )
        )
        return answer.id, rpc.deserialize_properties(answer.properties)

    def read(self, id_: str, outputs: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
        """Read (refresh): the id (empty when gone) and the refreshed outputs."""
        answer = self.stub.Read(
            provider_pb2.ReadRequest(id=id_, urn=URN.format(name=name), properties=_struct(outputs))
        )
        return answer.id, rpc.deserialize_properties(answer.properties)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any], name: str) -> Any:
        """Diff: the DiffResponse (changes, replaces)."""
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_, urn=URN.format(name=name), olds=_struct(olds), news=_struct(self._with_provider(news))
            )
        )

    def delete(self, id_: str, outputs: dict[str, Any], name: str) -> None:
        """Delete."""
        self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=URN.format(name=name), properties=_struct(outputs))
        )

    def stderr(self) -> str:
        """What the provider process wrote to stderr (its progress log)."""
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        """End the process abruptly, as a crashed deploy would."""
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Stop the process and release the channel."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._stderr.close()
        self.stderr_path.unlink(missing_ok=True)


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
