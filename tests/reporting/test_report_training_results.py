"""Reading the results file and checkpoints into curves."""

from __future__ import annotations

import pytest

from ftstack.reporting.training_results import (
    ResultsFileError,
    TrainingCurve,
    checkpoint_points,
    epoch_boundaries,
    parse_results_csv,
)

HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,"
RESULTS = (
    HEADER
    + """full_valid_mean_token_accuracy
1,2.0,0.30,2.1,0.28,,
2,1.5,0.45,1.7,0.40,1.65,0.41
3,1.1,0.60,1.4,0.50,,
4,0.8,0.70,1.5,0.49,1.45,0.50
"""
)


def test_each_series_is_read_and_blank_cells_are_left_out() -> None:
    curve = parse_results_csv(RESULTS)
    assert curve.series("train_loss") == ([1, 2, 3, 4], [2.0, 1.5, 1.1, 0.8])
    assert curve.series("full_valid_loss") == ([2, 4], [1.65, 1.45])
    assert curve.last_step == 4


def test_the_docs_alternative_column_names_are_understood() -> None:
    text = "step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy\n1,1.0,0.5,1.2,0.4\n"
    curve = parse_results_csv("\ufeff" + text)
    assert curve.series("train_accuracy") == ([1], [0.5])
    assert curve.series("valid_accuracy") == ([1], [0.4])


def test_a_file_without_a_step_column_is_refused_naming_its_columns() -> None:
    with pytest.raises(ResultsFileError, match=r"no 'step' column.*loss"):
        parse_results_csv("loss\n1.0\n")


def test_epoch_ends_come_from_checkpoints_else_full_validation_rows_else_the_epoch_count() -> None:
    curve = parse_results_csv(RESULTS)
    points = checkpoint_points(
        [{"id": "c2", "step_number": 2, "metrics": {}}, {"id": "c4", "step_number": 4}]
    )
    assert epoch_boundaries(curve, points, None) == [2, 4]
    assert epoch_boundaries(curve, [], None) == [2, 4]
    no_full = parse_results_csv("step,train_loss\n" + "".join(f"{s},1.0\n" for s in range(1, 7)))
    assert epoch_boundaries(no_full, [], 3) == [2, 4, 6]
    assert epoch_boundaries(TrainingCurve(()), [], 3) == []


def test_a_checkpoints_validation_loss_prefers_the_full_validation_loss() -> None:
    [full, sampled] = checkpoint_points(
        [
            {"id": "a", "step_number": 1, "metrics": {"valid_loss": 9.0, "full_valid_loss": 0.5}},
            {"id": "b", "step_number": 2, "metrics": {"valid_loss": 0.7}},
        ]
    )
    assert (full.validation_loss, sampled.validation_loss) == (0.5, 0.7)
