"""What `summary.md` and the console say about an evaluation: counts that add up, nothing of this machine
or of the endpoint's credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftstack.evaluation.answer_cache import AnswerCache
from ftstack.evaluation.chat_client import RequestParams
from ftstack.evaluation.engine import EvaluationPlan, evaluate
from ftstack.evaluation.holdout import HoldoutExample
from ftstack.evaluation.metrics import MetricSpec
from ftstack.evaluation.summary import render_markdown, shown_endpoint, shown_path
from tests.evaluation.test_eval_engine import ScriptedDeployments

# 12 holdout lines, 3 distinct prompts: each prompt is asked once per deployment.
REPEATED = [
    HoldoutExample(
        line=i + 1, prompt=({"role": "user", "content": f"question {i % 3}"},), reference=f"answer {i % 3}"
    )
    for i in range(12)
]


def _plan(**fields: str) -> EvaluationPlan:
    return EvaluationPlan(
        examples=REPEATED,
        base="base",
        candidate="tuned",
        metrics=MetricSpec(names=("exact",)),
        params=RequestParams(max_tokens=64),
        **fields,
    )


def test_repeated_prompts_are_counted_as_one_request_each_and_the_counts_add_up(tmp_path: Path) -> None:
    deployments = ScriptedDeployments({"tuned"})
    result = evaluate(_plan(), AnswerCache(tmp_path), deployments)
    usage = result.usage["candidate"]
    assert deployments.calls["tuned"] == 3
    assert (usage.answers, usage.new_requests, usage.cached_answers, usage.repeated_answers) == (12, 3, 0, 9)
    assert "12 answers: 3 requests sent, 0 from cache, 9 repeat an earlier prompt" in render_markdown(result)


def test_a_rerun_reads_each_distinct_prompt_from_the_cache_once(tmp_path: Path) -> None:
    evaluate(_plan(), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    again = evaluate(_plan(), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    usage = again.usage["base"]
    assert (usage.new_requests, usage.cached_answers, usage.repeated_answers) == (0, 3, 9)
    assert "12 answers: 0 requests sent, 3 from cache, 9 repeat an earlier prompt" in render_markdown(again)


def test_the_summary_shows_no_absolute_path_of_this_machine_and_no_credential_in_the_endpoint(
    tmp_path: Path,
) -> None:
    plan = _plan(
        data="/home/alice/secret-project/holdout.jsonl",
        endpoint="https://alice:s3cr3t@acct.openai.azure.com/openai/v1/?api-key=k3y#frag",
    )
    markdown = render_markdown(evaluate(plan, AnswerCache(tmp_path), ScriptedDeployments({"tuned"})))
    assert "`holdout.jsonl`" in markdown and "/home/alice" not in markdown
    assert "`https://acct.openai.azure.com/openai/v1`" in markdown
    assert not any(secret in markdown for secret in ("alice", "s3cr3t", "k3y", "frag"))


def test_a_holdout_inside_the_working_folder_is_shown_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert shown_path(str(tmp_path / "data" / "holdout.jsonl")) == "data/holdout.jsonl"
    assert shown_path("data/holdout.jsonl") == "data/holdout.jsonl"
    assert shown_endpoint("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
