"""The answer cache: keyed by endpoint, deployment, question and request parameters; a damaged line is
skipped, counted and asked again, never a traceback."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from ftstack.cli.app import DEBUG_ENV, run
from ftstack.evaluation.answer_cache import CACHE_FILE, DAMAGED_SUFFIX, AnswerCache, cache_key
from ftstack.evaluation.chat_client import Answer, ChatClient, RequestParams
from ftstack.evaluation.engine import EvaluationPlan, evaluate
from ftstack.evaluation.holdout import HoldoutExample, Message
from ftstack.evaluation.metrics import MetricSpec

EXAMPLES = [
    HoldoutExample(
        line=i + 1, prompt=({"role": "user", "content": f"question {i}"},), reference=f"réponse {i} — ça"
    )
    for i in range(4)
]
FIRST = "https://first.openai.azure.com"
SECOND = "https://second.openai.azure.com"


class Deployments:
    """Counts the requests each deployment gets; the candidate answers with the reference (non-ASCII)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, deployment: str, messages: Sequence[Message], params: RequestParams) -> Answer:
        with self._lock:
            self.calls[deployment] += 1
        index = str(messages[-1]["content"]).split()[-1]
        text = f"réponse {index} — ça" if deployment == "tuned" else "je ne sais pas, désolé — ça"
        return Answer(text=text, latency_seconds=0.01, prompt_tokens=5, completion_tokens=3)


def _plan(endpoint: str = FIRST) -> EvaluationPlan:
    return EvaluationPlan(
        examples=EXAMPLES,
        base="base",
        candidate="tuned",
        metrics=MetricSpec(names=("exact",)),
        params=RequestParams(),
        concurrency=2,
        endpoint=endpoint,
    )


def _filled(folder: Path) -> Path:
    evaluate(_plan(), AnswerCache(folder), Deployments())
    return folder / CACHE_FILE


def test_reusing_the_output_folder_against_another_endpoint_asks_that_endpoint(tmp_path: Path) -> None:
    _filled(tmp_path)
    other = Deployments()
    result = evaluate(_plan(SECOND), AnswerCache(tmp_path), other)
    # Before: 0 requests, and the first endpoint's scores (a --gate passed without calling the candidate).
    assert other.calls == Counter({"base": 4, "tuned": 4})
    assert result.usage["candidate"].new_requests == 4


def test_the_same_endpoint_spelled_with_a_slash_or_capitals_reuses_the_cache(tmp_path: Path) -> None:
    _filled(tmp_path)
    again = Deployments()
    evaluate(_plan("HTTPS://First.OpenAI.Azure.com/"), AnswerCache(tmp_path), again)
    assert again.calls == Counter()


def test_the_key_changes_with_each_part_of_the_request() -> None:
    base = cache_key(FIRST, "tuned", "q1", RequestParams())
    assert (
        len(
            {
                base,
                cache_key(SECOND, "tuned", "q1", RequestParams()),
                cache_key(FIRST, "base", "q1", RequestParams()),
                cache_key(FIRST, "tuned", "q2", RequestParams()),
                cache_key(FIRST, "tuned", "q1", RequestParams(temperature=0.5)),
                cache_key(FIRST, "tuned", "q1", RequestParams(max_tokens=7)),
            }
        )
        == 6
    )


def _cut_points_inside_characters(line: bytes) -> list[int]:
    return [i for i in range(1, len(line)) if (line[i] & 0xC0) == 0x80]


def test_a_cache_cut_inside_a_non_ascii_character_resumes_at_every_cut_point(tmp_path: Path) -> None:
    cache_file = _filled(tmp_path / "full")
    lines = cache_file.read_bytes().splitlines()
    last = lines[-1]
    cuts = _cut_points_inside_characters(last)
    assert len(cuts) >= 2, "the answers hold non-ASCII text"
    for cut in cuts:
        folder = tmp_path / f"cut-{cut}"
        folder.mkdir()
        (folder / CACHE_FILE).write_bytes(b"\n".join(lines[:-1]) + b"\n" + last[:cut])
        again = Deployments()
        cache = AnswerCache(folder)  # before: UnicodeDecodeError
        assert cache.damaged_lines == [len(lines)]
        result = evaluate(_plan(), cache, again)
        assert sum(again.calls.values()) == 1 and result.complete
        assert len(AnswerCache(folder)) == 8


WRONG_LINES = [
    b"[1, 2, 3]",
    b'"just a string"',
    b"null",
    b'{"key": 5, "deployment": "tuned", "example": "x", "answer": {}}',
    b'{"key": "k", "deployment": "tuned", "example": "x", "answer": [1]}',
    b'{"key": "k", "deployment": "tuned", "example": "x", "answer": {"text": 7, "latency_seconds": 1, '
    b'"prompt_tokens": 1, "completion_tokens": 1}}',
    b'{"key": "k", "deployment": "tuned", "example": "x", "answer": {"text": "t", "latency_seconds": "slow", '
    b'"prompt_tokens": 1, "completion_tokens": 1}}',
    b'{"key": "k", "deployment": "tuned", "example": "x", "answer": {"text": "t", "latency_seconds": NaN, '
    b'"prompt_tokens": 1, "completion_tokens": 1}}',
    b'{"key": "k", "deployment": "tuned", "example": "x", "answer": {"text": "t", "latency_seconds": 1, '
    b'"prompt_tokens": -3, "completion_tokens": true}}',
    b"[" * 100_000,
    b"\xff\xfe not utf-8",
]


def test_lines_of_the_wrong_types_are_skipped_counted_and_asked_again(tmp_path: Path) -> None:
    cache_file = _filled(tmp_path)
    lines = cache_file.read_bytes().splitlines()
    # Replace two good answers by damage, and add every other kind of damage.
    damaged = [*WRONG_LINES[:2], *lines[2:], *WRONG_LINES[2:]]
    cache_file.write_bytes(b"\n".join(damaged) + b"\n")
    cache = AnswerCache(tmp_path)
    assert len(cache.damaged_lines) == len(WRONG_LINES)
    warning = cache.warning()
    assert warning is not None and f"skipped {len(WRONG_LINES)} damaged line(s)" in warning
    again = Deployments()
    result = evaluate(_plan(), cache, again)
    assert sum(again.calls.values()) == 2 and result.complete
    # Set aside, not lost, and not warned about again.
    assert len((tmp_path / (CACHE_FILE + DAMAGED_SUFFIX)).read_bytes().splitlines()) == len(WRONG_LINES)
    assert AnswerCache(tmp_path).warning() is None


def test_eval_prints_one_warning_line_with_the_count_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    holdout = tmp_path / "holdout.jsonl"
    holdout.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"question {i}"},
                        {"role": "assistant", "content": f"réponse {i}"},
                    ]
                }
            )
            + "\n"
            for i in range(3)
        ),
        encoding="utf-8",
    )
    calls = Deployments()
    monkeypatch.setattr(ChatClient, "complete", lambda self, d, m, p: calls(d, m, p))
    monkeypatch.setenv(DEBUG_ENV, "1")
    out = tmp_path / "out"
    args = [
        "eval",
        "--endpoint",
        FIRST,
        "--data",
        str(holdout),
        "--base",
        "base",
        "--candidate",
        "tuned",
        "--out",
        str(out),
        "--json",
        "--token",
        "t",
    ]
    assert run(args) == 0
    (out / CACHE_FILE).write_bytes((out / CACHE_FILE).read_bytes()[:-6])  # cut inside the last line
    capsys.readouterr()
    calls.calls.clear()
    assert run(args) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "skipped 1 damaged line(s)" in warnings[0], warnings
    assert sum(calls.calls.values()) == 1
