"""Metrics: what counts as a match for each metric a user can choose."""

from __future__ import annotations

import re

from ftstack.evaluation.metrics import (
    MetricSpec,
    contains,
    exact,
    json_match,
    json_valid,
    metric_problems,
    ngram_similarity,
    reference_pattern_problems,
    regex,
    score_pairs,
)


def test_exact_ignores_case_spacing_and_trailing_punctuation_but_not_wording() -> None:
    assert exact("  The  warranty is TWO years.\n", "the warranty is two years") == 1.0
    assert exact("The warranty is three years.", "The warranty is two years.") == 0.0


def test_contains_finds_the_reference_inside_a_longer_answer() -> None:
    assert contains("Sure! Call 0800 555 0199, weekdays.", "call 0800 555 0199") == 1.0
    assert contains("Call us any time.", "0800 555 0199") == 0.0


def test_regex_uses_the_given_pattern_or_each_reference_as_its_own_pattern() -> None:
    assert regex("Order 12345 shipped", re.compile(r"\d{5}")) == 1.0
    spec = MetricSpec(names=("regex",))
    scores = score_pairs(spec, [("ticket TK-42 opened", r"TK-\d+"), ("no ticket", r"TK-\d+")])
    assert scores["regex"] == [1.0, 0.0]


def test_json_metrics_accept_a_fenced_answer_and_compare_parsed_values_not_text() -> None:
    assert json_valid('```json\n{"a": 1}\n```') == 1.0
    assert json_valid("{'a': 1}") == 0.0
    assert json_match('{"b": [1, 2], "a": 1}', '{"a": 1, "b": [1, 2]}') == 1.0
    assert json_match('{"a": 2}', '{"a": 1}') == 0.0
    assert json_match("not json", "not json") == 0.0


def test_ngram_similarity_is_one_for_the_same_text_and_orders_closer_answers_higher() -> None:
    reference = "Hold the reset button for 10 seconds until the light blinks amber."
    assert ngram_similarity(reference.upper(), reference) == 1.0
    close = ngram_similarity("Hold the reset button for ten seconds until it blinks amber.", reference)
    far = ngram_similarity("Please contact a specialist about your situation.", reference)
    assert 1.0 > close > far >= 0.0
    assert ngram_similarity("", reference) == 0.0


def test_embedding_similarity_is_refused_without_an_embeddings_deployment_and_points_to_ngram() -> None:
    problems = metric_problems(["embedding_similarity"], None, has_embeddings=False)
    assert len(problems) == 1
    assert "--embedding-deployment" in problems[0] and "ngram_similarity" in problems[0]
    assert metric_problems(["embedding_similarity"], None, has_embeddings=True) == []


def test_embedding_similarity_is_the_cosine_of_the_deployments_embeddings() -> None:
    vectors = {"a": [1.0, 0.0], "b": [1.0, 0.0], "c": [0.0, 1.0]}
    spec = MetricSpec(names=("embedding_similarity",), embedder=lambda texts: [vectors[t] for t in texts])
    assert score_pairs(spec, [("a", "b"), ("a", "c")])["embedding_similarity"] == [1.0, 0.0]


def test_unknown_metrics_and_bad_patterns_are_each_named_with_what_would_work() -> None:
    problems = metric_problems(["bleu", "exact"], "([", has_embeddings=False)
    assert len(problems) == 2
    assert "--metric bleu" in problems[0] and "ngram_similarity" in problems[0]
    assert "--pattern" in problems[1]
    assert reference_pattern_problems([(3, "fine"), (4, "(unclosed")])[0].startswith("line 4:")
