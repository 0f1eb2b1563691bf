"""The FineTuningJob provider inside the real `python -m pulumi.dynamic` gRPC server, called the way the
engine calls it (Check, Create, Diff, Read, Delete with the pickled provider), against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from fine_tuning_harness import (
    EXAMPLES,
    TOKEN,
    DynamicProviderProcess,
    Emulator,
    job_props,
    own_files,
    wait_until,
)
from pulumi.runtime.proto import provider_pb2

from ftstack.fine_tuning.client import TOKEN_ENV

pytestmark = pytest.mark.e2e

StartProvider = Callable[[dict[str, str]], DynamicProviderProcess]


def news(endpoint: str, **overrides: Any) -> dict[str, Any]:
    """Inputs as a program registers them (numbers as floats after the engine, outputs seeded None)."""
    props: dict[str, Any] = {
        "resource_name": "support-bot",
        "endpoint": endpoint,
        "base_model": "gpt-4.1-mini",
        "model_version": "2025-04-14",
        "training_type": "global",
        "training_file": str(EXAMPLES / "training.jsonl"),
        "validation_file": str(EXAMPLES / "validation.jsonl"),
        "method": "supervised",
        "hyperparameters": {"n_epochs": 2.0, "batch_size": "auto"},
        "seed": 42.0,
        "suffix": "grpc",
        "wait": True,
        "wait_timeout_seconds": 60.0,
    }
    props.update(overrides)
    return props


def test_the_dynamic_server_checks_creates_diffs_reads_and_deletes_a_job(
    emulator: Emulator, dynamic_provider: StartProvider
) -> None:
    server = dynamic_provider({TOKEN_ENV: TOKEN})
    inputs, failures = server.check(news(emulator.url), "support-bot")
    assert failures == []
    assert len(inputs["training_file_sha256"]) == 64

    job_id, outs = server.create(inputs, "support-bot")
    assert job_id.startswith("ftjob-")
    assert outs["status"] == "succeeded"
    assert outs["fine_tuned_model"].startswith("gpt-4.1-mini-2025-04-14.ft-")
    assert [c["step"] for c in outs["checkpoints"]] == sorted(c["step"] for c in outs["checkpoints"])
    assert "support-bot: submitted fine-tuning job" in server.stderr()

    same = server.diff(job_id, outs, inputs, "support-bot")
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    retuned, _ = server.check(news(emulator.url, hyperparameters={"n_epochs": 3.0}), "support-bot")
    changed = server.diff(job_id, outs, retuned, "support-bot")
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(changed.replaces) == ["hyperparameters"]

    read_id, refreshed = server.read(job_id, outs, "support-bot")
    assert read_id == job_id
    assert refreshed["status"] == "succeeded"
    assert refreshed["checkpoints"] == outs["checkpoints"]

    server.delete(job_id, outs, "support-bot")
    assert own_files(emulator.client()) == []


def test_bad_inputs_fail_the_check_over_grpc_and_nothing_reaches_the_account(
    emulator: Emulator, dynamic_provider: StartProvider, tmp_path: Path
) -> None:
    too_short = tmp_path / "validation.jsonl"
    lines = (EXAMPLES / "validation.jsonl").read_text(encoding="utf-8-sig").splitlines()[:3]
    too_short.write_text("\n".join(lines) + "\n", encoding="utf-8")
    server = dynamic_provider({TOKEN_ENV: TOKEN})
    emulator.admin("DELETE", "/emulator/stats")

    _, failures = server.check(
        news(
            emulator.url,
            training_file="examples/missing.jsonl",
            validation_file=str(too_short),
            hyperparameters={"beta": 0.2},
        ),
        "support-bot",
    )

    assert [prop for prop, _ in failures] == ["hyperparameters.beta", "training_file", "validation_file"]
    reasons = dict(failures)
    assert reasons["hyperparameters.beta"] == (
        "is not a supervised hyperparameter; allowed: n_epochs, batch_size, learning_rate_multiplier"
    )
    assert reasons["training_file"] == (
        "examples/missing.jsonl: no such file (paths are relative to the project directory)"
    )
    assert reasons["validation_file"].startswith(f"{too_short}: invalid training file (1 error)")
    assert "too_few_examples" in reasons["validation_file"]
    assert emulator.admin("GET", "/emulator/stats")["total"] == 0


def test_a_deploy_that_died_after_submitting_reruns_without_a_second_job(
    emulator: Emulator, dynamic_provider: StartProvider
) -> None:
    first = dynamic_provider({TOKEN_ENV: TOKEN})
    inputs = job_props(emulator.url, hyperparameters={"n_epochs": 10})
    client = emulator.client()
    outcome: dict[str, BaseException] = {}

    def deploy() -> None:
        try:
            first.create(inputs, "support-bot")
        except grpc.RpcError as error:
            outcome["error"] = error

    attempt = threading.Thread(target=deploy)
    attempt.start()
    submitted = wait_until(lambda: client.list_jobs())
    first.kill()
    attempt.join(timeout=10)
    assert "error" in outcome, "the first deploy should have died while waiting"

    second = dynamic_provider({TOKEN_ENV: TOKEN})
    job_id, outs = second.create(inputs, "support-bot")

    assert job_id == submitted[0]["id"]
    assert outs["status"] == "succeeded"
    assert [j["id"] for j in client.list_jobs()] == [job_id]
    assert len(own_files(client)) == 2
    assert f"adopting job {job_id}" in second.stderr()


def test_a_deploy_that_died_after_uploading_reuses_its_files_on_the_rerun(
    emulator: Emulator, dynamic_provider: StartProvider
) -> None:
    # The first deploy uploads both files, then hangs waiting for them to be processed, and dies there.
    emulator.inject(route="GET /files/*", kind="slow", delay=5, times=1)
    emulator.admin("DELETE", "/emulator/stats")
    first = dynamic_provider({TOKEN_ENV: TOKEN})
    inputs = job_props(emulator.url)
    client = emulator.client()
    outcome: dict[str, BaseException] = {}

    def deploy() -> None:
        try:
            first.create(inputs, "support-bot")
        except grpc.RpcError as error:
            outcome["error"] = error

    attempt = threading.Thread(target=deploy)
    attempt.start()
    wait_until(lambda: len(own_files(client)) == 2)
    first.kill()
    attempt.join(timeout=10)
    assert "error" in outcome, "the first deploy should have died while waiting for its files"

    second = dynamic_provider({TOKEN_ENV: TOKEN})
    job_id, outs = second.create(inputs, "support-bot")

    assert outs["status"] == "succeeded"
    assert "already uploaded as" in second.stderr()
    assert emulator.requests("POST /files") == 2
    assert {f["id"] for f in own_files(client)} == {outs["training_file_id"], outs["validation_file_id"]}
    assert [j["id"] for j in client.list_jobs()] == [job_id]
