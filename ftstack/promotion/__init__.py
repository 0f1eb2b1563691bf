"""Promotion: pick the model a deployment serves from a fine-tuning job's or an experiment's outputs."""

from ftstack.promotion.experiment import PointOutcome, read_scores, select_point
from ftstack.promotion.select import PromotionError, Selection, select_model

__all__ = ["PointOutcome", "PromotionError", "Selection", "read_scores", "select_model", "select_point"]
