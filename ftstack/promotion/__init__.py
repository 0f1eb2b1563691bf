"""Promotion: pick the model a deployment serves from a fine-tuning job's outputs."""

from ftstack.promotion.select import PromotionError, Selection, select_model

__all__ = ["PromotionError", "Selection", "select_model"]
