"""Score experiment points on a holdout set with the evaluation engine (same cache, so reruns do not pay twice)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftstack.evaluation.answer_cache import AnswerCache
from ftstack.evaluation.chat_client import ChatClient, Endpoint, RequestParams
from ftstack.evaluation.engine import EvaluationPlan, evaluate
from ftstack.evaluation.holdout import load_holdout
from ftstack.evaluation.metrics import MetricSpec
from ftstack.evaluation.statistics import Interval
from ftstack.experiments.results import PointResult

METRICS = ("ngram_similarity", "exact")  # the first is the score


def holdout_scorer(
    endpoint: str, token: str | None, holdout: Path, cache_dir: Path, base: str | None
) -> Callable[[PointResult], Interval]:
    """A function giving a point's holdout score: the primary metric's candidate mean with its 95% interval.

    Each point's fine-tuned model is asked under its model id, as the emulator serves it; on Azure, deploy
    each point under its model id (for example on the developer tier) before scoring.
    """
    examples = load_holdout(holdout)
    client = ChatClient(Endpoint(endpoint, token))
    cache = AnswerCache(cache_dir)

    def score(result: PointResult) -> Interval:
        candidate = str(result.fine_tuned_model)
        reference = base or result.point.job.base_model
        plan = EvaluationPlan(
            examples=examples,
            base=reference,
            candidate=candidate,
            metrics=MetricSpec(names=METRICS),
            params=RequestParams(temperature=0.0, max_tokens=256),
            endpoint=endpoint,
            data=str(holdout),
        )
        outcome = evaluate(plan, cache, client.complete)
        return outcome.primary.candidate

    return score
