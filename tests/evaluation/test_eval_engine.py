"""The evaluation engine with a scripted deployment: resuming, the gate, failures and the concurrency bound."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from ftstack.evaluation.answer_cache import CACHE_FILE, AnswerCache
from ftstack.evaluation.chat_client import Answer, RequestFailedError, RequestParams
from ftstack.evaluation.engine import EvaluationPlan, evaluate
from ftstack.evaluation.holdout import HoldoutExample, Message
from ftstack.evaluation.metrics import MetricSpec
from ftstack.evaluation.summary import render_markdown, write_outputs

EXAMPLES = [
    HoldoutExample(
        line=i + 1, prompt=({"role": "user", "content": f"question {i}"},), reference=f"answer {i}"
    )
    for i in range(6)
]


class ScriptedDeployments:
    """Answers like a deployment would: `good` deployments give the reference, others a generic reply."""

    def __init__(self, good: set[str], fail: dict[tuple[str, int], RequestFailedError] | None = None):
        self.good = good
        self.fail = fail or {}
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, deployment: str, messages: Sequence[Message], params: RequestParams) -> Answer:
        question = str(messages[-1]["content"])
        index = int(question.split()[-1])
        with self._lock:
            self.calls[deployment] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.01)
            if (deployment, index) in self.fail:
                raise self.fail[(deployment, index)]
            text = f"answer {index}" if deployment in self.good else "I cannot say."
            return Answer(text=text, latency_seconds=0.01, prompt_tokens=5, completion_tokens=3)
        finally:
            with self._lock:
                self.in_flight -= 1


def _plan(min_delta: float | None = None, concurrency: int = 3, max_tokens: int = 256) -> EvaluationPlan:
    return EvaluationPlan(
        examples=EXAMPLES,
        base="base",
        candidate="tuned",
        metrics=MetricSpec(names=("exact", "ngram_similarity")),
        params=RequestParams(max_tokens=max_tokens),
        concurrency=concurrency,
        min_delta=min_delta,
    )


def test_a_better_candidate_passes_the_gate_and_wins_every_example(tmp_path: Path) -> None:
    result = evaluate(_plan(min_delta=0.5), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    assert result.gate is not None and result.gate.passed
    assert result.primary.candidate.mean == 1.0 and result.primary.base.mean == 0.0
    assert (result.primary.outcome.wins, result.primary.outcome.losses) == (6, 0)
    assert result.usage["candidate"].prompt_tokens == 30


def test_a_candidate_no_better_than_the_base_fails_the_gate(tmp_path: Path) -> None:
    result = evaluate(_plan(min_delta=0.01), AnswerCache(tmp_path), ScriptedDeployments({"base", "tuned"}))
    assert result.gate is not None and not result.gate.passed
    assert result.primary.outcome.ties == 6


def test_a_delta_exactly_at_the_margin_passes(tmp_path: Path) -> None:
    result = evaluate(_plan(min_delta=1.0), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    assert result.gate is not None and result.gate.passed


def test_a_rerun_sends_nothing_already_answered(tmp_path: Path) -> None:
    first = ScriptedDeployments({"tuned"})
    evaluate(_plan(), AnswerCache(tmp_path), first)
    assert first.calls == Counter({"base": 6, "tuned": 6})
    second = ScriptedDeployments({"tuned"})
    result = evaluate(_plan(), AnswerCache(tmp_path), second)
    assert second.calls == Counter()
    assert result.usage["base"].cached_answers == 6 and result.usage["base"].new_requests == 0


def test_changing_a_request_parameter_asks_again(tmp_path: Path) -> None:
    evaluate(_plan(), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    again = ScriptedDeployments({"tuned"})
    evaluate(_plan(max_tokens=64), AnswerCache(tmp_path), again)
    assert again.calls == Counter({"base": 6, "tuned": 6})


def test_an_interrupted_cache_line_is_resent_and_the_rest_is_kept(tmp_path: Path) -> None:
    evaluate(_plan(), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    cache_file = tmp_path / CACHE_FILE
    lines = cache_file.read_text().splitlines()
    cache_file.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    again = ScriptedDeployments({"tuned"})
    result = evaluate(_plan(), AnswerCache(tmp_path), again)
    assert sum(again.calls.values()) == 1
    assert result.complete
    assert len(AnswerCache(tmp_path)) == 12


def test_failed_requests_are_reported_and_only_they_are_sent_again(tmp_path: Path) -> None:
    flaky = ScriptedDeployments(
        {"tuned"}, fail={("tuned", 2): RequestFailedError("tuned", "HTTP 503 after retries")}
    )
    result = evaluate(_plan(), AnswerCache(tmp_path), flaky)
    assert not result.complete
    assert result.scored_examples == 5
    assert result.failures == ["line 3: tuned: HTTP 503 after retries"]
    healed = ScriptedDeployments({"tuned"})
    assert evaluate(_plan(), AnswerCache(tmp_path), healed).complete
    assert healed.calls == Counter({"tuned": 1})


def test_a_fatal_failure_stops_the_run_and_keeps_what_was_answered(tmp_path: Path) -> None:
    denied = RequestFailedError("tuned", "no such deployment at this endpoint", 404, fatal=True)
    deployments = ScriptedDeployments({"tuned"}, fail={("tuned", i): denied for i in range(6)})
    with pytest.raises(RequestFailedError, match="no such deployment"):
        evaluate(_plan(concurrency=1), AnswerCache(tmp_path), deployments)
    assert sum(deployments.calls.values()) < 12
    assert len(AnswerCache(tmp_path)) >= 1


def test_no_more_requests_are_in_flight_than_the_concurrency_allows(tmp_path: Path) -> None:
    deployments = ScriptedDeployments({"tuned"})
    evaluate(_plan(concurrency=2), AnswerCache(tmp_path), deployments)
    assert deployments.most_in_flight == 2


def test_progress_reports_the_total_first_then_each_answer(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    evaluate(_plan(), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}), lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 12) and seen[-1] == (12, 12) and len(seen) == 13


def test_results_and_summary_files_name_the_verdict(tmp_path: Path) -> None:
    result = evaluate(_plan(min_delta=0.5), AnswerCache(tmp_path), ScriptedDeployments({"tuned"}))
    results_path, summary_path = write_outputs(result, tmp_path)
    assert '"passed": true' in results_path.read_text()
    markdown = render_markdown(result)
    assert summary_path.read_text() == markdown
    assert "**Gate PASSED**" in markdown and "| **exact** (primary) |" in markdown


def test_progress_moves_while_answers_are_still_outstanding(tmp_path: Path) -> None:
    # The last request only answers once progress has reported an earlier one: a progress hook that waits
    # for every answer (the 0/N bar) never lets it finish.
    first_reported = threading.Event()
    scripted = ScriptedDeployments({"tuned"})
    calls: list[int] = []
    totals: list[int] = []
    lock = threading.Lock()

    def complete(deployment: str, messages: Sequence[Message], params: RequestParams) -> Answer:
        with lock:
            calls.append(1)
            mine = len(calls)
        if mine == totals[0]:
            assert first_reported.wait(5), "no progress was reported before the last answer"
        return scripted(deployment, messages, params)

    def progress(done: int, total: int) -> None:
        totals.append(total)
        if 0 < done < total:
            first_reported.set()

    evaluate(_plan(concurrency=2), AnswerCache(tmp_path), complete, progress)
    assert first_reported.is_set()
