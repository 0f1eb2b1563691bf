"""An experiment's deployment serves its best point, and the check report says which and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftstack.config import load_environment
from ftstack.promotion import PointOutcome, PromotionError, read_scores, select_point
from ftstack.promotion.describe import describe_selection

ROOT = Path(__file__).resolve().parents[2]


def _point(name: str, losses: list[float]) -> PointOutcome:
    checkpoints = [
        {"step": 10 * (i + 1), "metrics": {"full_valid_loss": loss}} for i, loss in enumerate(losses)
    ]
    return PointOutcome(name, f"model-{name}", checkpoints)


def test_best_validation_loss_picks_the_point_whose_final_loss_is_lowest() -> None:
    points = [_point("n12", [1.2, 0.9]), _point("n24", [1.0, 0.7]), _point("n36", [0.5, 0.8])]
    chosen = select_point("curve", points, "best_validation_loss")
    assert chosen.model == "model-n24"  # n36's best checkpoint is not its final model
    assert "point n24 has the lowest final validation loss 0.7000 of 3 points" in chosen.reason


def test_best_score_picks_the_highest_holdout_score(tmp_path: Path) -> None:
    scores = tmp_path / "scores.json"
    scores.write_text(
        json.dumps(
            {
                "points": [
                    {"point": "n12", "score": 0.4},
                    {"point": "n24", "score": 0.8},
                    {"point": "n36", "score": None},
                ]
            }
        )
    )
    points = [_point("n12", [1.0]), _point("n24", [1.1]), _point("n36", [0.2])]
    chosen = select_point("curve", points, "best_score", read_scores(scores))
    assert chosen.model == "model-n24"
    assert "highest holdout score 0.800 of 2 scored points" in chosen.reason


def test_no_finished_point_is_a_clear_error() -> None:
    with pytest.raises(PromotionError, match="no point of experiment 'curve' has a fine-tuned model yet"):
        select_point("curve", [PointOutcome("n12", None, [])], "best_validation_loss")


def test_the_check_report_describes_how_each_dev_deployment_picks_its_model() -> None:
    _, env = load_environment("dev", ROOT)
    texts = {d.name: describe_selection(env, d, ROOT) for d in env.deployments}
    assert texts["support-bot-dev"] == "job `support-bot`'s final model, once the job succeeds"
    assert (
        "experiment `support-curve`'s point with the lowest final validation loss"
        in texts["support-curve-best"]
    )
