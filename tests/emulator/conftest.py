"""Fixtures of the emulator tests: emulators on 127.0.0.1 with an ephemeral port, and training data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_harness import support_examples, write_jsonl

from ftstack.emulator import running_emulator


@pytest.fixture
def fast_emulator() -> Iterator[str]:
    """An emulator in swedencentral whose clock runs 5000 times faster than real time."""
    with running_emulator(region="swedencentral", time_scale=5000) as url:
        yield url


@pytest.fixture
def training_file(tmp_path: Path) -> Path:
    """A valid support-chat training file of 24 examples."""
    return write_jsonl(tmp_path / "training.jsonl", support_examples(24))
