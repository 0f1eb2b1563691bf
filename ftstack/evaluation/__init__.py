"""Evaluate a fine-tuned deployment against its base on a holdout set: metrics, statistics, a resumable engine."""
