"""Metrics: how well one answer matches its reference, as a score in [0, 1].

Binary metrics (1 or 0): `exact` (after normalisation), `contains`, `regex`, `json_valid`, `json_match`.
Graded metrics: `ngram_similarity` is a deterministic lexical similarity (cosine over character 3-grams of the
normalised texts), not a semantic one; `embedding_similarity` is the cosine of two embeddings from an
embeddings deployment on the endpoint, and exists only when one is given.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Embedder = Callable[[Sequence[str]], list[list[float]]]

BINARY_METRICS: tuple[str, ...] = ("exact", "contains", "regex", "json_valid", "json_match")
GRADED_METRICS: tuple[str, ...] = ("ngram_similarity", "embedding_similarity")
METRIC_NAMES: tuple[str, ...] = BINARY_METRICS + GRADED_METRICS
NGRAM_SIZE = 3

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(.*)\n\s*```$", re.DOTALL)


def normalize(text: str) -> str:
    """`text` compared loosely: Unicode-compatible, case-folded, single spaces, no edge punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(" .!?;:,\"'")


def exact(answer: str, reference: str) -> float:
    """1.0 when the normalised answer equals the normalised reference."""
    return float(normalize(answer) == normalize(reference))


def contains(answer: str, reference: str) -> float:
    """1.0 when the normalised answer contains the normalised reference."""
    return float(normalize(reference) in normalize(answer))


def regex(answer: str, pattern: re.Pattern[str]) -> float:
    """1.0 when `pattern` matches anywhere in the answer."""
    return float(pattern.search(answer) is not None)


def parse_json(text: str) -> tuple[bool, object]:
    """(True, value) when `text`, or the body of one surrounding code fence, is JSON; else (False, None)."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    body = fenced.group(1) if fenced else stripped
    try:
        return True, json.loads(body)
    except json.JSONDecodeError:
        return False, None


def json_valid(answer: str) -> float:
    """1.0 when the answer is JSON."""
    return float(parse_json(answer)[0])


def json_match(answer: str, reference: str) -> float:
    """1.0 when answer and reference are both JSON and parse to equal values."""
    answer_ok, answer_value = parse_json(answer)
    reference_ok, reference_value = parse_json(reference)
    return float(answer_ok and reference_ok and answer_value == reference_value)


def _ngrams(text: str) -> Counter[str]:
    padded = f" {normalize(text)} "
    return Counter(padded[i : i + NGRAM_SIZE] for i in range(max(0, len(padded) - NGRAM_SIZE + 1)))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 0.0 if norm == 0 else max(0.0, min(1.0, dot / norm))


def ngram_similarity(answer: str, reference: str) -> float:
    """Cosine similarity of the character 3-gram counts of both normalised texts (1.0: same n-grams)."""
    a, b = _ngrams(answer), _ngrams(reference)
    keys = sorted(set(a) | set(b))
    return _cosine([a[k] for k in keys], [b[k] for k in keys])


@dataclass(frozen=True)
class MetricSpec:
    """The metrics to compute, the first being primary (the gate's), with what the optional ones need."""

    names: tuple[str, ...]
    pattern: re.Pattern[str] | None = None
    embedder: Embedder | None = None

    @property
    def primary(self) -> str:
        """The metric the gate compares."""
        return self.names[0]


def metric_problems(names: Sequence[str], pattern: str | None, has_embeddings: bool) -> list[str]:
    """One line per reason the requested metrics cannot be computed (unknown name, missing input)."""
    problems: list[str] = []
    for name in names:
        if name not in METRIC_NAMES:
            problems.append(f"--metric {name}: unknown metric; choose from {', '.join(METRIC_NAMES)}")
    if "embedding_similarity" in names and not has_embeddings:
        problems.append(
            "--metric embedding_similarity needs --embedding-deployment (an embeddings deployment on the "
            "endpoint); for a lexical similarity without a model use --metric ngram_similarity"
        )
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            problems.append(f"--pattern {pattern!r}: not a valid regular expression ({error})")
    return problems


def reference_pattern_problems(references: Sequence[tuple[int, str]]) -> list[str]:
    """For `regex` without --pattern (each reference is the pattern): one line per reference that is no regex."""
    problems = []
    for line, reference in references:
        try:
            re.compile(reference)
        except re.error as error:
            problems.append(
                f"line {line}: the reference {reference!r} is not a valid regular expression ({error}); "
                "pass --pattern or fix the reference"
            )
    return problems


def score_pairs(spec: MetricSpec, pairs: Sequence[tuple[str, str]]) -> dict[str, list[float]]:
    """Scores per metric for each (answer, reference) pair, in order."""
    scores: dict[str, list[float]] = {}
    for name in spec.names:
        if name == "embedding_similarity":
            scores[name] = _embedding_scores(spec, pairs)
            continue
        scores[name] = [_score_one(spec, name, answer, reference) for answer, reference in pairs]
    return scores


def _score_one(spec: MetricSpec, name: str, answer: str, reference: str) -> float:
    if name == "exact":
        return exact(answer, reference)
    if name == "contains":
        return contains(answer, reference)
    if name == "regex":
        return regex(answer, spec.pattern or re.compile(reference))
    if name == "json_valid":
        return json_valid(answer)
    if name == "json_match":
        return json_match(answer, reference)
    if name == "ngram_similarity":
        return ngram_similarity(answer, reference)
    raise ValueError(f"unknown metric {name!r}")


def _embedding_scores(spec: MetricSpec, pairs: Sequence[tuple[str, str]]) -> list[float]:
    if spec.embedder is None:
        raise ValueError("embedding_similarity needs an embeddings deployment")
    if not pairs:
        return []
    vectors = spec.embedder([text for pair in pairs for text in pair])
    return [_cosine(vectors[2 * i], vectors[2 * i + 1]) for i in range(len(pairs))]
