"""An existing fine-tuning job read through the real `pulumi` CLI: `FineTuningJob.get` by
`<endpoint>|<job id>` brings the job's inputs and outputs into the stack, a refresh after its account has
gone (nothing answers at the endpoint any more) drops it from the state instead of failing, and
`pulumi import` of the type fails as documented (the engine's import read carries no state, which the SDK's
dynamic provider server needs).

One small project: the copied checkout with a program that only reads the job, on a stack with no other
resources; the job itself is trained beforehand on a standalone emulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.emulator.server import running_emulator
from ftstack.fine_tuning.client import TOKEN_ENV
from ftstack.fine_tuning.inputs import file_sha256
from ftstack.local.runner import LocalSession
from tests.engine.engine_harness import (
    engine_unavailable,
    ftstack_local,
    local_project,
    session,
    state_resources,
)

STACK = "jobimport"
JOB_TYPE = "pulumi-python:dynamic/ftstack:FineTuningJob"
IMPORT_ENV = "FTSTACK_TEST_JOB_IMPORT_ID"
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "support-chat"
PROGRAM = f'''"""Reads one existing fine-tuning job (the test sets its id)."""
import os

import pulumi

from components.fine_tuning_job import FineTuningJob

job = FineTuningJob.get("adopted", os.environ["{IMPORT_ENV}"])
for name in ("job_id", "status", "fine_tuned_model", "base_model", "training_file_sha256", "suffix"):
    pulumi.export(name, getattr(job, name))
'''

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copied project whose program only reads the job; its local Azure is stopped at the end."""
    folder = local_project(tmp_path_factory.mktemp("engine-job-import") / "project")
    (folder / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    environment = {
        "name": STACK,
        "residency": {"requirePrivateEndpoint": False, "enforcement": "advisory"},
        "account": {
            "name": "ftstack-jobimport",
            "region": "francecentral",
            "resourceGroup": {"name": "rg-x"},
        },
    }
    document = {"config": {"azure-native:location": "francecentral", "ftstack:environment": environment}}
    (folder / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    yield folder
    ftstack_local(folder, "stop")


def _trained_job(endpoint: str, token: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A job trained to the end on `endpoint`, as an earlier deploy (or someone else) left it."""
    monkeypatch.setenv(TOKEN_ENV, token)
    provider = FineTuningJobProvider()
    props = {
        "resource_name": "support-bot",
        "endpoint": endpoint,
        "base_model": "gpt-4.1-mini",
        "model_version": "2025-04-14",
        "training_type": "global",
        "training_file": str(DATA / "training.jsonl"),
        "validation_file": str(DATA / "validation.jsonl"),
        "hyperparameters": {"n_epochs": 2},
        "suffix": "imported",
        "wait": True,
        "wait_timeout_seconds": 60,
    }
    checked = provider.check({}, props)
    assert checked.failures == []
    return dict(provider.create(checked.inputs).outs)


def _run(run: LocalSession, *args: str) -> Any:
    return run.pulumi(*args, *run.stack_args, "--non-interactive", capture=True)


def _outputs(run: LocalSession) -> dict[str, Any]:
    done = run.pulumi("stack", "output", "--json", "--stack", STACK, capture=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_a_job_read_by_endpoint_and_id_enters_the_stack_and_leaves_it_when_its_account_is_gone(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = session(project, STACK)
    with running_emulator(region="francecentral", time_scale=600.0, token=run.azure.token) as url:
        job = _trained_job(url, run.azure.token, monkeypatch)
        run.env[IMPORT_ENV] = f"{url}|{job['job_id']}"

        read = _run(run, "up", "--yes", "--skip-preview")
        assert read.returncode == 0, read.stdout[-4000:] + read.stderr[-4000:]
        outputs = _outputs(run)
        assert outputs["job_id"] == job["job_id"]
        assert outputs["status"] == "succeeded"
        assert outputs["fine_tuned_model"] == job["fine_tuned_model"]
        assert outputs["base_model"] == "gpt-4.1-mini"
        assert outputs["suffix"] == "imported"
        assert outputs["training_file_sha256"] == file_sha256(DATA / "training.jsonl")
        (held,) = [r for r in state_resources(project, STACK) if r["type"] == JOB_TYPE]
        assert held["id"] == job["job_id"]
        assert held.get("external") is True

        # `pulumi import` reaches the provider with neither inputs nor state: the SDK's server cannot
        # even find the provider (the documented limit; FineTuningJob.get is the way in).
        imported = _run(run, "import", JOB_TYPE, "imported", f"{url}|{job['job_id']}", "--yes")
        assert imported.returncode != 0
        assert "__provider" in imported.stdout + imported.stderr

    # The emulator is gone: nothing answers at the job's endpoint any more, as after the account's deletion.
    refreshed = _run(run, "refresh", "--yes", "--skip-preview")
    assert refreshed.returncode == 0, refreshed.stdout[-4000:] + refreshed.stderr[-4000:]
    assert [r for r in state_resources(project, STACK) if r["type"] == JOB_TYPE] == []
    assert "no longer answers" in refreshed.stdout + refreshed.stderr
