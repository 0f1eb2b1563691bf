"""Promotion: which model a deployment serves, chosen from a fine-tuning job's final model and checkpoints.

Pure: no Pulumi, no Azure SDK. Azure keeps only the final model and the checkpoints of the 2 epochs
before it deployable, so only the 3 most recent checkpoints are candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ftstack.config.schema import ModelSelect, StepSelect

DEPLOYABLE_CHECKPOINTS = 3
DEPLOYABLE_NOTE = "Azure keeps only the final model and the checkpoints of the 2 previous epochs deployable"


class PromotionError(ValueError):
    """The requested model cannot be selected from the job's outputs; the message says what would work."""


@dataclass(frozen=True)
class Selection:
    """The chosen model id and why it was chosen."""

    model: str
    reason: str


def select_model(
    final_model: str | None, checkpoints: Sequence[Mapping[str, Any]], select: ModelSelect
) -> Selection:
    """The model a deployment should serve: `final`, the `best_validation_loss` checkpoint or `{step: N}`."""
    if select == "final":
        if not final_model:
            raise PromotionError("the job has no fine-tuned model yet (it has not succeeded)")
        return Selection(final_model, "the job's final model")
    candidates = _deployable(checkpoints)
    if not candidates:
        raise PromotionError(
            f"the job reports no checkpoints to select from; select final instead ({DEPLOYABLE_NOTE})"
        )
    last_step = candidates[-1][0]
    if isinstance(select, StepSelect):
        chosen = next((c for c in candidates if c[0] == select.step), None)
        if chosen is None:
            steps = ", ".join(str(c[0]) for c in candidates)
            raise PromotionError(
                f"no deployable checkpoint at step {select.step}; deployable steps: {steps} ({DEPLOYABLE_NOTE})"
            )
        return _selection(chosen, final_model, last_step, f"the checkpoint at step {select.step}")
    if select == "best_validation_loss":
        scored = [(loss, c) for c in candidates if (loss := validation_loss(c[1])) is not None]
        if not scored:
            raise PromotionError(
                "no checkpoint reports a validation loss (give the job a validationFile); "
                "select final or a step instead"
            )
        loss, chosen = min(scored, key=lambda item: (item[0], -item[1][0]))
        return _selection(
            chosen, final_model, last_step, f"lowest validation loss {loss:.4f} at step {chosen[0]}"
        )
    raise PromotionError(f"unknown selection {select!r}; use final, best_validation_loss or {{step: N}}")


Candidate = tuple[int, Mapping[str, Any]]


def _deployable(checkpoints: Sequence[Mapping[str, Any]]) -> list[Candidate]:
    """The deployable checkpoints by step, oldest first (the 3 most recent)."""
    by_step: dict[int, Mapping[str, Any]] = {}
    for checkpoint in checkpoints:
        step = checkpoint.get("step")
        if isinstance(step, int | float) and not isinstance(step, bool) and float(step).is_integer():
            by_step[int(step)] = checkpoint
    return sorted(by_step.items())[-DEPLOYABLE_CHECKPOINTS:]


def validation_loss(checkpoint: Mapping[str, Any]) -> float | None:
    """The checkpoint's full validation loss when reported, else its (sampled) validation loss."""
    metrics = checkpoint.get("metrics") or {}
    for key in ("full_valid_loss", "valid_loss"):
        value = metrics.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def _selection(chosen: Candidate, final_model: str | None, last_step: int, why: str) -> Selection:
    step, checkpoint = chosen
    if step == last_step and final_model:
        return Selection(final_model, f"{why}: the final model")
    name = checkpoint.get("fine_tuned_model_checkpoint")
    if not name:
        raise PromotionError(f"the checkpoint at step {step} has no deployable model name")
    return Selection(str(name), why)
