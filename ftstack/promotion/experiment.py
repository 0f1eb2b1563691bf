"""Promotion from an experiment: the best point's final model, by validation loss or holdout score."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.promotion.select import PromotionError, Selection, validation_loss


@dataclass(frozen=True)
class PointOutcome:
    """One experiment point's outputs: its name, final model and checkpoints (as the FineTuningJob reports)."""

    name: str
    final_model: str | None
    checkpoints: Sequence[Mapping[str, Any]]

    @property
    def final_validation_loss(self) -> float | None:
        """The validation loss of the point's last checkpoint (its final model)."""
        steps = [c for c in self.checkpoints if isinstance(c.get("step"), int | float)]
        return validation_loss(max(steps, key=lambda c: float(c["step"]))) if steps else None


def read_scores(path: Path) -> dict[str, float]:
    """Point name -> holdout score from the scores.json `ftstack experiment report` writes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PromotionError(f"{path}: cannot read the experiment scores ({exc})") from None
    points = data.get("points") if isinstance(data, dict) else None
    if not isinstance(points, list):
        raise PromotionError(f"{path}: not a scores file written by `ftstack experiment report`")
    return {
        str(p["point"]): float(p["score"])
        for p in points
        if isinstance(p, dict) and isinstance(p.get("score"), int | float)
    }


def select_point(
    experiment: str, points: Sequence[PointOutcome], select: str, scores: Mapping[str, float] | None = None
) -> Selection:
    """The final model of the experiment's best point, and why."""
    finished = [p for p in points if p.final_model]
    if not finished:
        raise PromotionError(f"no point of experiment {experiment!r} has a fine-tuned model yet")
    if select == "best_score":
        scored = [(scores[p.name], p) for p in finished if scores and p.name in scores]
        if not scored:
            raise PromotionError(
                f"the scores file has no score for a finished point of {experiment!r}; rerun "
                "`ftstack experiment report --data HOLDOUT`"
            )
        score, best = max(scored, key=lambda item: item[0])
        return Selection(
            str(best.final_model),
            f"experiment {experiment}: point {best.name} has the highest "
            f"holdout score {score:.3f} of {len(scored)} scored points",
        )
    if select == "best_validation_loss":
        losses = [(loss, p) for p in finished if (loss := p.final_validation_loss) is not None]
        if not losses:
            raise PromotionError(
                f"no point of experiment {experiment!r} reports a validation loss "
                "(give the job a validationFile)"
            )
        loss, best = min(losses, key=lambda item: item[0])
        return Selection(
            str(best.final_model),
            f"experiment {experiment}: point {best.name} has the lowest "
            f"final validation loss {loss:.4f} of {len(losses)} points",
        )
    raise PromotionError(
        f"an experiment's model is selected by best_validation_loss or best_score, not {select!r}"
    )
