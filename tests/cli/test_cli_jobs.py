"""`ftstack jobs` through the console script against the emulator: see, follow and steer a job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from ftstack.emulator.faults import parse_fault_spec
from ftstack.emulator.server import running_emulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FTSTACK = str(Path(sys.executable).with_name("ftstack"))
EXAMPLES = ROOT / "examples" / "support-chat"
BASE_MODEL = "gpt-4o-mini-2024-07-18"


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("FTSTACK_TOKEN", "FTSTACK_FINE_TUNING_TOKEN")}
    return subprocess.run(
        [FTSTACK, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**clean, **(env or {})},
        timeout=timeout,
    )


def _submit(url: str) -> str:
    sdk = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="k")
    try:
        files = [
            sdk.files.create(file=(name, (EXAMPLES / name).read_bytes()), purpose="fine-tune")
            for name in ("training.jsonl", "validation.jsonl")
        ]
        deadline = time.monotonic() + 30
        while not all(sdk.files.retrieve(f.id).status == "processed" for f in files):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        job = sdk.fine_tuning.jobs.create(
            model=BASE_MODEL,
            training_file=files[0].id,
            validation_file=files[1].id,
            hyperparameters={"n_epochs": 3},
            extra_body={"trainingType": "Standard"},
        )
        return job.id
    finally:
        sdk.close()


def _status(url: str, job_id: str) -> str:
    sdk = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="k")
    try:
        return str(sdk.fine_tuning.jobs.retrieve(job_id).status)
    finally:
        sdk.close()


@pytest.fixture(scope="module")
def fast() -> Iterator[str]:
    """An emulator where a job trains in about a second."""
    with running_emulator(region="swedencentral", time_scale=20_000) as url:
        yield url


def _finished(url: str) -> str:
    job_id = _submit(url)
    deadline = time.monotonic() + 60
    while _status(url, job_id) not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job_id


def test_list_show_events_and_checkpoints_answer_in_json_from_an_endpoint(fast: str) -> None:
    job_id = _finished(fast)
    listed = json.loads(run("jobs", "list", "--endpoint", fast, "--token", "t", "--json").stdout)
    assert job_id in [j["id"] for j in listed["jobs"]]
    shown = json.loads(run("jobs", "show", job_id, "--endpoint", fast, "--token", "t", "--json").stdout)
    assert shown["job"]["status"] == "succeeded"
    events = json.loads(run("jobs", "events", job_id, "--endpoint", fast, "--token", "t", "--json").stdout)
    assert events["jobId"] == job_id
    stamps = [e["created_at"] for e in events["events"]]
    assert stamps == sorted(stamps) and "Job succeeded" in events["events"][-1]["message"]
    checkpoints = json.loads(
        run("jobs", "checkpoints", job_id, "--endpoint", fast, "--token", "t", "--json").stdout
    )
    assert [c["step_number"] for c in checkpoints["checkpoints"]] == sorted(
        c["step_number"] for c in checkpoints["checkpoints"]
    )
    assert len(checkpoints["checkpoints"]) == 3


def test_the_v1_endpoint_form_finds_the_same_job(fast: str) -> None:
    job_id = _finished(fast)
    done = run("jobs", "show", job_id, "--endpoint", f"{fast}/openai/v1/", "--token", "t", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["job"]["id"] == job_id


def test_the_human_list_keeps_every_job_id_whole_when_piped(fast: str) -> None:
    job_id = _finished(fast)
    done = run("jobs", "list", "--endpoint", fast, "--token", "t")
    assert done.returncode == 0 and job_id in done.stdout
    assert "\x1b[" not in done.stdout
    assert not [line for line in done.stdout.splitlines() if line != line.rstrip()]


def test_follow_streams_the_events_and_the_loss_until_the_job_ends(fast: str) -> None:
    job_id = _submit(fast)
    done = run("jobs", "events", job_id, "--follow", "--interval", "0.2", "--endpoint", fast, "--token", "t")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("training loss=" in line for line in lines)  # the loss, as the metrics events arrive
    assert lines[-1].startswith(f"job {job_id} succeeded: {BASE_MODEL}.ft-")
    assert len([line for line in lines if "Job succeeded" in line]) == 1  # each event once


def test_follow_in_json_mode_is_one_object_per_line_and_ends_with_the_job(fast: str) -> None:
    job_id = _submit(fast)
    done = run(
        "jobs", "events", job_id, "-f", "--interval", "0.2", "--endpoint", fast, "--token", "t", "--json"
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert all("event" in r for r in records[:-1]) and records[-1]["job"]["status"] == "succeeded"


def test_following_a_job_that_fails_exits_1_with_the_services_reason() -> None:
    fault = parse_fault_spec("route=POST /fine_tuning/jobs,kind=job_fail,message=the data ran out")
    with running_emulator(region="swedencentral", time_scale=20_000, faults=[fault]) as url:
        job_id = _submit(url)
        done = run(
            "jobs", "events", job_id, "--follow", "--interval", "0.2", "--endpoint", url, "--token", "t"
        )
        shown = run("jobs", "show", job_id, "--endpoint", url, "--token", "t")
    assert done.returncode == 1
    assert f"job {job_id} failed" in done.stdout and "the data ran out" in done.stdout
    assert "the data ran out" in shown.stdout


def test_a_running_job_can_be_paused_and_resumed() -> None:
    with running_emulator(region="swedencentral", time_scale=30) as url:
        job_id = _submit(url)
        deadline = time.monotonic() + 60
        while True:
            paused = run("jobs", "pause", job_id, "--endpoint", url, "--token", "t", "--json")
            if paused.returncode == 0:
                break
            assert time.monotonic() < deadline, paused.stderr
            time.sleep(0.3)
        assert json.loads(paused.stdout)["job"]["status"] in ("pausing", "paused")
        while _status(url, job_id) != "paused":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        resumed = run("jobs", "resume", job_id, "--endpoint", url, "--token", "t")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.startswith(f"job {job_id}: ")
        cancelled = run("jobs", "cancel", job_id, "--endpoint", url, "--token", "t", "--json")
        assert json.loads(cancelled.stdout)["job"]["status"] in ("cancelled", "cancelling")


def test_resuming_a_job_that_is_not_paused_is_one_line_and_exit_2(fast: str) -> None:
    job_id = _finished(fast)
    done = run("jobs", "resume", job_id, "--endpoint", fast, "--token", "t")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "only a paused job can be resumed" in done.stderr


def test_an_unknown_job_is_one_line_and_in_json_mode_a_json_error(fast: str) -> None:
    done = run("jobs", "show", "ftjob-nope", "--endpoint", fast, "--token", "t", "--json")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no fine-tuning job ftjob-nope" in done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["exitCode"] == 2 and "ftstack jobs list" in error["messages"][0]


def test_the_deprecated_token_variable_still_works_with_a_warning(fast: str) -> None:
    done = run("jobs", "list", "--endpoint", fast, "--json", env={"FTSTACK_FINE_TUNING_TOKEN": "t"})
    assert done.returncode == 0, done.stderr
    assert "FTSTACK_FINE_TUNING_TOKEN is deprecated; set FTSTACK_TOKEN instead" in done.stderr


def test_without_an_endpoint_or_a_stack_the_error_lists_the_stacks() -> None:
    done = run("jobs", "list", env={"PULUMI_HOME": str(ROOT / ".ftstack" / "no-such-pulumi-home")})
    assert done.returncode == 2
    assert "stacks here: dev, prod-eu, prod-us; or pass --endpoint URL" in done.stderr
    assert done.stderr.count("\n") == 1


def test_events_lists_every_event_the_service_holds_once(fast: str) -> None:
    job_id = _finished(fast)
    sdk = openai.AzureOpenAI(azure_endpoint=fast, api_version="2025-04-01-preview", api_key="k")
    try:
        served = {e.id for e in sdk.fine_tuning.jobs.list_events(job_id, limit=100)}
    finally:
        sdk.close()
    assert len(served) > 25  # metrics and messages: more than any "last N" excerpt
    listed = json.loads(run("jobs", "events", job_id, "--endpoint", fast, "--token", "t", "--json").stdout)
    assert sorted(e["id"] for e in listed["events"]) == sorted(served)
    lines = run("jobs", "events", job_id, "--endpoint", fast, "--token", "t").stdout.splitlines()
    assert len(lines) == len(served)


def test_follow_on_a_terminal_shows_a_progress_line_with_the_step_and_the_loss() -> None:
    import re

    from tests.cli.terminal import on_a_terminal

    with running_emulator(region="swedencentral", time_scale=200) as url:
        job_id = _submit(url)
        shown = on_a_terminal(
            "jobs", "events", job_id, "--follow", "--interval", "0.2", "--endpoint", url, "--token", "t",
            columns=200, env={"FTSTACK_TOKEN": "t"},
        )  # fmt: skip
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    progress = re.findall(r"running, step (\d+)/(\d+), training loss \d+\.\d{4}", plain)
    assert progress, plain[-2000:]
    assert any(int(step) < int(total) for step, total in progress)  # drawn while the job was training
    assert f"job {job_id} succeeded" in plain


def _project_copy(folder: Path) -> Path:
    (folder / "stacks").mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for stack in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        (folder / "stacks" / stack.name).write_text(stack.read_text())
    shutil.copytree(ROOT / "examples", folder / "examples")  # a link outside the project is refused
    return folder


def test_a_stack_means_the_account_it_declares() -> None:
    done = run("jobs", "list", "-s", "prod-eu", "--token", "t")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    # Unreachable here, or refusing the token where there is a network: either way the stack's account.
    assert "https://ftstack-prod-eu.openai.azure.com/" in done.stderr


def test_local_without_the_local_azure_says_how_to_start_it(tmp_path: Path) -> None:
    project = _project_copy(tmp_path / "project")
    done = run("jobs", "list", "--local", "-s", "dev", "--project-dir", str(project))
    assert done.returncode == 2
    assert (
        done.stderr == "error: the local Azure is not running; start it with `ftstack local up --stack dev`\n"
    )


def test_on_an_80_column_terminal_job_ids_and_checkpoint_models_stay_whole(fast: str) -> None:
    from tests.cli.terminal import on_a_terminal

    job_id = _finished(fast)
    model = json.loads(run("jobs", "show", job_id, "--endpoint", fast, "--token", "t", "--json").stdout)[
        "job"
    ]["fine_tuned_model"]
    listed = on_a_terminal("jobs", "list", "--endpoint", fast, "--token", "t")
    assert job_id in listed and model in listed and "…" not in listed
    checkpoints = json.loads(
        run("jobs", "checkpoints", job_id, "--endpoint", fast, "--token", "t", "--json").stdout
    )["checkpoints"]
    shown = on_a_terminal("jobs", "checkpoints", job_id, "--endpoint", fast, "--token", "t")
    assert "…" not in shown
    for checkpoint in checkpoints:  # whole on one line: a user copies it into a deployment
        assert checkpoint["fine_tuned_model_checkpoint"] in shown
