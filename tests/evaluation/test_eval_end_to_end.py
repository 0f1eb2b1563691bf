"""`ftstack eval` against the emulator: a fine-tuned job's model against its base on the example holdout."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from ftstack.cli.app import app
from ftstack.emulator.server import running_emulator
from tests.evaluation.emulated_job import (
    ADMIN_HEADERS,
    EXAMPLES,
    TrainedJob,
    chat_completions,
    chat_requests,
)

pytestmark = pytest.mark.e2e

HOLDOUT = EXAMPLES / "holdout.jsonl"
HOLDOUT_SIZE = 12


def run_eval(
    job: TrainedJob, out: Path, *extra: str, base: str | None = None, candidate: str | None = None
) -> Result:
    args = [
        "eval", "--endpoint", job.url, "--data", str(HOLDOUT), "--token", "test-token", "--out", str(out),
        "--base", base or job.base_model, "--candidate", candidate or job.fine_tuned_model, *extra,
    ]  # fmt: skip
    return CliRunner().invoke(app, args)


def test_the_fine_tuned_model_beats_its_base_and_passes_the_gate(job: TrainedJob, tmp_path: Path) -> None:
    result = run_eval(job, tmp_path, "--gate", "0.3", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["gate"] == {
        "metric": "exact",
        "min_delta": 0.3,
        "delta": data["gate"]["delta"],
        "passed": True,
    }
    exact = data["metrics"][0]
    assert exact["name"] == "exact" and exact["candidate"]["mean"] > exact["base"]["mean"] + 0.3
    assert exact["win"] > exact["loss"]
    assert data["candidate"]["tokens"]["prompt"] > 0 and data["base"]["latency_seconds"]["p95"] > 0
    assert (tmp_path / "results.json").exists() and (tmp_path / "summary.md").exists()


def test_the_gate_fails_with_exit_1_when_the_candidate_is_worse(job: TrainedJob, tmp_path: Path) -> None:
    result = run_eval(job, tmp_path, "--gate", "0", base=job.fine_tuned_model, candidate=job.base_model)
    assert result.exit_code == 1
    assert "gate failed" in result.stdout
    assert json.loads((tmp_path / "results.json").read_text())["gate"]["passed"] is False


def test_a_rerun_sends_no_cached_request_and_a_partial_cache_only_the_missing_ones(
    job: TrainedJob, tmp_path: Path
) -> None:
    assert run_eval(job, tmp_path).exit_code == 0
    assert chat_completions(job.url) == {job.base_model: HOLDOUT_SIZE, job.fine_tuned_model: HOLDOUT_SIZE}

    assert run_eval(job, tmp_path).exit_code == 0
    assert sum(chat_completions(job.url).values()) == 2 * HOLDOUT_SIZE

    cache = tmp_path / "answers.jsonl"
    lines = cache.read_text().splitlines()
    cache.write_text("\n".join(lines[:-3]) + "\n")
    assert run_eval(job, tmp_path).exit_code == 0
    assert sum(chat_completions(job.url).values()) == 2 * HOLDOUT_SIZE + 3


def test_throttling_with_retry_after_is_retried_and_the_evaluation_completes(
    job: TrainedJob, tmp_path: Path
) -> None:
    rule = {"route": "POST /deployments/*/chat/completions", "kind": "429", "times": 4, "retry_after": 0}
    httpx.post(f"{job.url}/emulator/faults", json=rule, headers=ADMIN_HEADERS).raise_for_status()
    result = run_eval(job, tmp_path, "--json", "--concurrency", "2")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["complete"] is True
    assert sum(chat_completions(job.url).values()) == 2 * HOLDOUT_SIZE
    assert chat_requests(job.url) == 2 * HOLDOUT_SIZE + 4


def test_a_deployment_registered_under_its_own_name_is_evaluated(job: TrainedJob, tmp_path: Path) -> None:
    httpx.put(
        f"{job.url}/emulator/deployments/support-bot",
        json={"model": job.fine_tuned_model},
        headers=ADMIN_HEADERS,
    ).raise_for_status()
    result = run_eval(job, tmp_path, "--gate", "0.3", candidate="support-bot")
    assert result.exit_code == 0, result.stderr
    assert chat_completions(job.url)["support-bot"] == HOLDOUT_SIZE


def test_an_unknown_deployment_is_one_clear_line_and_exit_2(job: TrainedJob, tmp_path: Path) -> None:
    result = run_eval(job, tmp_path, "--concurrency", "1", candidate="no-such-deployment")
    assert result.exit_code == 2
    assert "no-such-deployment: no such deployment at this endpoint" in result.stderr
    assert "rerun to resume" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_refused_credentials_stop_the_run_with_exit_2(tmp_path: Path) -> None:
    with running_emulator(token="the-right-token") as url:
        result = CliRunner().invoke(
            app,
            ["eval", "--endpoint", url, "--data", str(HOLDOUT), "--base", "gpt-4o-mini-2024-07-18",
             "--candidate", "gpt-4o-mini", "--token", "a-wrong-token", "--out", str(tmp_path)],
        )  # fmt: skip
    assert result.exit_code == 2
    assert "the endpoint refused the credentials" in result.stderr


def test_input_mistakes_are_all_reported_at_once_before_any_request(tmp_path: Path) -> None:
    bad = tmp_path / "holdout.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "Hi"}]}\n')
    result = CliRunner().invoke(
        app,
        ["eval", "--endpoint", "http://127.0.0.1:9", "--data", str(bad), "--base", "a", "--candidate", "b",
         "--metric", "embedding_similarity", "--concurrency", "0", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert any("--embedding-deployment" in line for line in lines)
    assert any("--concurrency 0" in line for line in lines)
    assert any(f"{bad}:1:" in line for line in lines)
    assert not (tmp_path / "out").exists()


def test_with_json_an_input_mistake_is_the_json_error_document_on_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["eval", "--endpoint", "http://127.0.0.1:9", "--data", str(tmp_path / "missing.jsonl"), "--base", "a",
         "--candidate", "b", "--concurrency", "0", "--out", str(tmp_path / "out"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["error"]["exitCode"] == 2
    assert "--concurrency 0" in result.stderr
