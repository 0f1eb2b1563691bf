"""Fixtures of the evaluation tests: an emulator with a trained job (see tests/evaluation/emulated_job.py)."""

from tests.evaluation.emulated_job import job, trained_job

__all__ = ["job", "trained_job"]
