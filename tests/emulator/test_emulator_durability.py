"""A `--state-dir` emulator killed with SIGKILL comes back no earlier than any client saw it: the same job
states, event, checkpoint and results-file ids, and a clock that does not go back; SIGTERM stops it
like Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest
from emulator_harness import KEY, azure_client, finished_job, processed_file, wait_until

pytestmark = pytest.mark.e2e


@contextmanager
def emulator_process(state_dir: Path) -> Iterator[tuple[subprocess.Popen[str], openai.AzureOpenAI]]:
    """`ftstack emulator --state-dir` in its own process; yields it and an SDK client once it listens."""
    command = [sys.executable, "-c", "from ftstack.cli.app import main; main()", "emulator", "--port", "0"]
    options = ["--time-scale", "3000", "--state-dir", str(state_dir), "--token", KEY]
    process = subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.stderr.read() if process.stderr else url
        yield process, azure_client(url)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_state_after_a_sigkill_is_never_earlier_than_what_a_client_saw(
    tmp_path: Path, training_file: Path
) -> None:
    state_dir = tmp_path / "state"
    with emulator_process(state_dir) as (process, client):
        uploaded = processed_file(client, training_file)
        job = finished_job(
            client,
            client.fine_tuning.jobs.create(
                model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters={"n_epochs": 2}
            ).id,
        )
        events = [(e.id, e.created_at) for e in client.fine_tuning.jobs.list_events(job.id, limit=200)]
        checkpoints = [c.id for c in client.fine_tuning.jobs.checkpoints.list(job.id)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    with emulator_process(state_dir) as (_, client):
        again = client.fine_tuning.jobs.retrieve(job.id)
        events_again = [(e.id, e.created_at) for e in client.fine_tuning.jobs.list_events(job.id, limit=200)]
        checkpoints_again = [c.id for c in client.fine_tuning.jobs.checkpoints.list(job.id)]
        later = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)

    assert again.status == "succeeded" and again.fine_tuned_model == job.fine_tuned_model
    assert again.result_files == job.result_files
    assert events_again == events and checkpoints_again == checkpoints
    # The clock resumed no earlier than the newest time served before the kill.
    assert later.created_at >= max(at for _, at in events)


# How far along a job is: a restart may show it later on this scale, never earlier.
PROGRESS = {"pending": 0, "running": 1, "succeeded": 2}


def test_a_job_seen_training_is_never_back_in_an_earlier_state_after_a_sigkill(
    tmp_path: Path, training_file: Path
) -> None:
    state_dir = tmp_path / "state"
    with emulator_process(state_dir) as (process, client):
        uploaded = processed_file(client, training_file)
        job = client.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters={"n_epochs": 50}
        )
        seen = wait_until(
            lambda: (
                (j := client.fine_tuning.jobs.retrieve(job.id)).status == "running"
                and any(e.type == "metrics" for e in client.fine_tuning.jobs.list_events(job.id, limit=1000))
                and j
            )
        )
        events = [(e.id, e.created_at) for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    with emulator_process(state_dir) as (_, client):
        again = client.fine_tuning.jobs.retrieve(job.id)
        events_again = {(e.id, e.created_at) for e in client.fine_tuning.jobs.list_events(job.id, limit=1000)}

    assert PROGRESS[again.status] >= PROGRESS[seen.status]
    assert set(events) <= events_again


def test_a_sigkill_right_after_a_state_change_keeps_the_change(tmp_path: Path, training_file: Path) -> None:
    state_dir = tmp_path / "state"
    with emulator_process(state_dir) as (process, client):
        uploaded = processed_file(client, training_file)
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
        cancelled = client.fine_tuning.jobs.cancel(job.id)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    with emulator_process(state_dir) as (_, client):
        assert cancelled.status == "cancelled"
        assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
        assert client.files.retrieve(uploaded.id).status == "processed"


def test_sigterm_stops_the_emulator_like_ctrl_c(tmp_path: Path, training_file: Path) -> None:
    state_dir = tmp_path / "state"
    with emulator_process(state_dir) as (process, client):
        uploaded = processed_file(client, training_file)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)

    assert code == 0
    with emulator_process(state_dir) as (_, client):
        assert client.files.retrieve(uploaded.id).status == "processed"
