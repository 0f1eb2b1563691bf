"""Confidence intervals and the paired comparison."""

from __future__ import annotations

import pytest

from ftstack.evaluation.statistics import (
    bootstrap_interval,
    paired_difference,
    paired_outcome,
    score_interval,
    wilson_interval,
)


def test_wilson_interval_matches_the_textbook_values_for_small_samples() -> None:
    none = wilson_interval([0.0] * 12)
    assert (none.mean, none.low) == (0.0, 0.0)
    assert none.high == pytest.approx(0.2425, abs=1e-4)
    half = wilson_interval([1.0] * 5 + [0.0] * 5)
    assert half.low == pytest.approx(0.2366, abs=1e-4)
    assert half.high == pytest.approx(0.7634, abs=1e-4)


def test_more_examples_give_a_narrower_interval() -> None:
    small = wilson_interval([1.0, 0.0] * 5)
    large = wilson_interval([1.0, 0.0] * 200)
    assert large.high - large.low < small.high - small.low


def test_bootstrap_is_reproducible_and_brackets_the_mean() -> None:
    values = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2]
    first, second = bootstrap_interval(values), bootstrap_interval(values)
    assert first == second
    assert first.low < first.mean < first.high
    assert first.method == "bootstrap"


def test_binary_scores_use_wilson_and_graded_scores_the_bootstrap() -> None:
    assert score_interval([1.0, 0.0], binary=True).method == "wilson"
    assert score_interval([0.4, 0.6], binary=False).method == "bootstrap"


def test_paired_comparison_counts_wins_ties_and_losses_per_example() -> None:
    candidate = [1.0, 1.0, 0.0, 0.5]
    base = [0.0, 1.0, 1.0, 0.25]
    outcome = paired_outcome(candidate, base)
    assert (outcome.wins, outcome.ties, outcome.losses) == (2, 1, 1)
    assert paired_difference(candidate, base).mean == pytest.approx(0.0625)


def test_paired_scores_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1.0], [1.0, 0.0])
