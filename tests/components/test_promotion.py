"""Promotion: which model a deployment serves, from a job's final model and its checkpoints."""

from __future__ import annotations

from typing import Any

import pytest

from ftstack.config.schema import StepSelect
from ftstack.promotion import PromotionError, select_model

FINAL = "gpt-4o-mini-2024-07-18.ft-abc"


def checkpoint(step: int, valid: float | None = None, full: float | None = None) -> dict[str, Any]:
    metrics: dict[str, float] = {"train_loss": 0.5}
    if valid is not None:
        metrics["valid_loss"] = valid
    if full is not None:
        metrics["full_valid_loss"] = full
    return {
        "id": f"ftchkpt-{step}",
        "step": step,
        "metrics": metrics,
        "fine_tuned_model_checkpoint": f"{FINAL}:ckpt-step-{step}",
    }


def test_final_serves_the_jobs_fine_tuned_model() -> None:
    assert select_model(FINAL, [checkpoint(10, 0.3)], "final").model == FINAL


def test_final_before_the_job_succeeded_is_refused() -> None:
    with pytest.raises(PromotionError, match="has no fine-tuned model yet"):
        select_model(None, [], "final")


def test_best_validation_loss_prefers_the_full_validation_loss() -> None:
    checkpoints = [
        checkpoint(10, valid=0.1, full=0.5),
        checkpoint(20, valid=0.4, full=0.2),
        checkpoint(30, 0.3, 0.3),
    ]
    selection = select_model(FINAL, checkpoints, "best_validation_loss")
    assert selection.model == f"{FINAL}:ckpt-step-20"
    assert selection.reason == "lowest validation loss 0.2000 at step 20"


def test_best_validation_loss_falls_back_to_the_sampled_validation_loss() -> None:
    checkpoints = [checkpoint(10, valid=0.4), checkpoint(20, valid=0.2), checkpoint(30, valid=0.3)]
    assert select_model(FINAL, checkpoints, "best_validation_loss").model == f"{FINAL}:ckpt-step-20"


def test_the_best_checkpoint_at_the_last_step_is_the_final_model() -> None:
    checkpoints = [checkpoint(10, valid=0.4), checkpoint(20, valid=0.3), checkpoint(30, valid=0.2)]
    selection = select_model(FINAL, checkpoints, "best_validation_loss")
    assert selection.model == FINAL
    assert selection.reason.endswith("the final model")


def test_without_validation_metrics_best_validation_loss_asks_for_a_validation_file() -> None:
    with pytest.raises(PromotionError, match="give the job a validationFile"):
        select_model(FINAL, [checkpoint(10), checkpoint(20)], "best_validation_loss")


def test_a_step_selects_the_checkpoint_at_that_step() -> None:
    checkpoints = [checkpoint(10), checkpoint(20), checkpoint(30)]
    assert select_model(FINAL, checkpoints, StepSelect(step=10)).model == f"{FINAL}:ckpt-step-10"


def test_only_the_three_most_recent_checkpoints_are_deployable() -> None:
    checkpoints = [checkpoint(step, valid=0.1 if step == 10 else 0.3) for step in (10, 20, 30, 40)]
    with pytest.raises(PromotionError) as caught:
        select_model(FINAL, checkpoints, StepSelect(step=10))
    assert "no deployable checkpoint at step 10; deployable steps: 20, 30, 40" in str(caught.value)
    assert "final model and the checkpoints of the 2 previous epochs" in str(caught.value)
    assert select_model(FINAL, checkpoints, "best_validation_loss").model != f"{FINAL}:ckpt-step-10"


def test_a_job_without_checkpoints_can_only_deploy_its_final_model() -> None:
    with pytest.raises(PromotionError, match="no checkpoints to select from; select final"):
        select_model(FINAL, [], StepSelect(step=10))
