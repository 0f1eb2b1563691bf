"""The evaluation engine: ask both deployments about every holdout example (bounded concurrency, answers
cached so a rerun pays only for what is missing), then score and compare."""

from __future__ import annotations

import statistics as stats
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from ftstack.evaluation.answer_cache import AnswerCache, CachedAnswer, cache_key
from ftstack.evaluation.chat_client import Answer, RequestFailedError, RequestParams
from ftstack.evaluation.holdout import HoldoutExample, Message
from ftstack.evaluation.metrics import BINARY_METRICS, MetricSpec, score_pairs
from ftstack.evaluation.results import (
    ROLES,
    EvaluationResult,
    ExampleOutcome,
    GateOutcome,
    MetricComparison,
    UsageSummary,
)
from ftstack.evaluation.statistics import paired_difference, paired_outcome, score_interval

Completer = Callable[[str, Sequence[Message], RequestParams], Answer]
ProgressHook = Callable[[int, int], None]
# Floating-point slack so that a delta exactly equal to the margin passes.
GATE_EPSILON = 1e-9


@dataclass(frozen=True)
class EvaluationPlan:
    """What to compare: the examples, the two deployments, the metrics, request parameters and limits."""

    examples: Sequence[HoldoutExample]
    base: str
    candidate: str
    metrics: MetricSpec
    params: RequestParams
    concurrency: int = 4
    min_delta: float | None = None
    endpoint: str = ""
    data: str = ""

    def deployment(self, role: str) -> str:
        """The deployment playing `role` (base or candidate)."""
        return self.base if role == "base" else self.candidate


@dataclass(frozen=True)
class _Request:
    key: str
    deployment: str
    example: HoldoutExample


def _missing_requests(plan: EvaluationPlan, cache: AnswerCache) -> list[_Request]:
    missing: dict[str, _Request] = {}
    for example in plan.examples:
        for role in ROLES:
            deployment = plan.deployment(role)
            key = cache_key(plan.endpoint, deployment, example.key, plan.params)
            if key not in missing and cache.get(key) is None:
                missing[key] = _Request(key, deployment, example)
    return list(missing.values())


def collect_answers(
    plan: EvaluationPlan, cache: AnswerCache, complete: Completer, progress: ProgressHook | None = None
) -> tuple[set[str], list[str]]:
    """Send every request the cache lacks; returns (keys newly answered, one line per failed request).

    A fatal failure (bad credentials, unknown deployment, unreachable endpoint) cancels what is queued and
    is raised; answers already received stay cached.
    """
    pending = _missing_requests(plan, cache)
    total = len(pending)
    if progress:
        progress(0, total)
    fresh: set[str] = set()
    failures: list[str] = []
    if not pending:
        return fresh, failures

    def send(request: _Request) -> str:
        answer = complete(request.deployment, request.example.prompt, plan.params)
        cache.put(CachedAnswer(request.key, request.deployment, request.example.key, answer))
        return request.key

    with ThreadPoolExecutor(max_workers=max(1, plan.concurrency), thread_name_prefix="ftstack-eval") as pool:
        futures: dict[Future[str], _Request] = {pool.submit(send, r): r for r in pending}
        remaining = set(futures)
        try:
            _drain(futures, remaining, fresh, failures, total, progress)
        except BaseException:
            # Fatal error or Ctrl-C: drop what is queued; answers already received stay cached.
            for future in futures:
                future.cancel()
            raise
    return fresh, failures


def _drain(
    futures: dict[Future[str], _Request],
    remaining: set[Future[str]],
    fresh: set[str],
    failures: list[str],
    total: int,
    progress: ProgressHook | None,
) -> None:
    """Collect finished requests into `fresh` and `failures` until none remain; raises the first fatal one."""
    done = 0
    while remaining:
        # FIRST_COMPLETED: progress moves with every answer (FIRST_EXCEPTION waited for all of them).
        finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
        for future in finished:
            request = futures[future]
            error = future.exception()
            if error is None:
                fresh.add(future.result())
            elif isinstance(error, RequestFailedError) and not error.fatal:
                failures.append(f"line {request.example.line}: {error}")
            else:
                raise error
            done += 1
            if progress:
                progress(done, total)


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _usage(deployment: str, answers: Sequence[CachedAnswer], fresh: set[str]) -> UsageSummary:
    latencies = [a.answer.latency_seconds for a in answers]
    # One request per distinct prompt: a prompt repeated in the holdout is sent (or cached) once.
    distinct = {a.key for a in answers}
    new = len(distinct & fresh)
    return UsageSummary(
        deployment=deployment,
        answers=len(answers),
        new_requests=new,
        cached_answers=len(distinct) - new,
        repeated_answers=len(answers) - len(distinct),
        latency_mean=stats.fmean(latencies) if latencies else 0.0,
        latency_p50=_percentile(latencies, 0.5),
        latency_p95=_percentile(latencies, 0.95),
        prompt_tokens=sum(a.answer.prompt_tokens for a in answers),
        completion_tokens=sum(a.answer.completion_tokens for a in answers),
    )


def score(plan: EvaluationPlan, cache: AnswerCache, fresh: set[str], failures: list[str]) -> EvaluationResult:
    """Score the cached answers of both deployments and compare them on every metric."""
    answered: list[tuple[HoldoutExample, dict[str, CachedAnswer]]] = []
    for example in plan.examples:
        pair = {
            role: cache.get(cache_key(plan.endpoint, plan.deployment(role), example.key, plan.params))
            for role in ROLES
        }
        if all(entry is not None for entry in pair.values()):
            answered.append((example, {role: entry for role, entry in pair.items() if entry is not None}))

    by_role = {
        role: score_pairs(
            plan.metrics, [(answers[role].answer.text, ex.reference) for ex, answers in answered]
        )
        for role in ROLES
    }
    comparisons = []
    for name in plan.metrics.names:
        base_scores, candidate_scores = by_role["base"][name], by_role["candidate"][name]
        binary = name in BINARY_METRICS
        comparisons.append(
            MetricComparison(
                name=name,
                primary=name == plan.metrics.primary,
                base=score_interval(base_scores, binary),
                candidate=score_interval(candidate_scores, binary),
                delta=paired_difference(candidate_scores, base_scores),
                outcome=paired_outcome(candidate_scores, base_scores),
            )
        )
    gate = None
    if plan.min_delta is not None:
        primary = comparisons[0]
        gate = GateOutcome(
            metric=primary.name,
            min_delta=plan.min_delta,
            delta=primary.delta.mean,
            passed=bool(answered) and primary.delta.mean >= plan.min_delta - GATE_EPSILON,
        )
    details = [
        ExampleOutcome(
            line=example.line,
            reference=example.reference,
            answers={role: answers[role].answer.text for role in ROLES},
            scores={name: {role: by_role[role][name][i] for role in ROLES} for name in plan.metrics.names},
        )
        for i, (example, answers) in enumerate(answered)
    ]
    return EvaluationResult(
        endpoint=plan.endpoint,
        data=plan.data,
        examples=len(plan.examples),
        scored_examples=len(answered),
        usage={
            role: _usage(plan.deployment(role), [answers[role] for _, answers in answered], fresh)
            for role in ROLES
        },
        metrics=comparisons,
        gate=gate,
        failures=failures,
        details=details,
    )


def evaluate(
    plan: EvaluationPlan, cache: AnswerCache, complete: Completer, progress: ProgressHook | None = None
) -> EvaluationResult:
    """Answer what the cache lacks, then score both deployments on every metric and apply the gate."""
    fresh, failures = collect_answers(plan, cache, complete, progress)
    return score(plan, cache, fresh, failures)
