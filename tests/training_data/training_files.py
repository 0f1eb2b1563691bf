"""Small training examples and model rows for the training-data tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftstack.catalog import ModelRow, load_matrix

BOM = "\ufeff"


def chat_example(i: int = 0, **extra: Any) -> dict[str, Any]:
    """A valid chat example, distinct for each `i`."""
    return {
        "messages": [
            {"role": "system", "content": "You are a helpful support assistant."},
            {"role": "user", "content": f"How do I reset router number {i}?"},
            {"role": "assistant", "content": f"Hold the reset button of router {i} for ten seconds."},
        ],
        **extra,
    }


def dpo_example(i: int = 0) -> dict[str, Any]:
    """A valid DPO example, distinct for each `i`."""
    return {
        "input": {
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Q{i}?"}]
        },
        "preferred_output": [{"role": "assistant", "content": f"Answer {i}."}],
        "non_preferred_output": [{"role": "assistant", "content": f"I do not know about {i}."}],
    }


Writer = Callable[..., Path]


def row(model: str, version: str | None = None) -> ModelRow:
    """The matrix row of a model."""
    return load_matrix().resolve_row(model, version)
