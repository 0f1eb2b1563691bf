"""Fixtures of the fine-tuning tests (helpers live in fine_tuning_harness.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fine_tuning_harness import Account, DynamicProviderProcess, Emulator, start_emulator, target_account


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """A real account when FTSTACK_TEST_ENDPOINT is set, else an emulator (see target_account)."""
    yield from target_account(monkeypatch)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator in francecentral (a global-training region, like the dev stack's account)."""
    yield from start_emulator(monkeypatch, "francecentral")


@pytest.fixture
def swedish_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator in swedencentral (standard training of gpt-4o-mini and gpt-4o, no global training)."""
    yield from start_emulator(monkeypatch, "swedencentral")


@pytest.fixture
def dynamic_provider() -> Iterator[Callable[[dict[str, str]], DynamicProviderProcess]]:
    """A factory of provider processes (each with the given environment), all stopped afterwards."""
    started: list[DynamicProviderProcess] = []

    def start(env: dict[str, str]) -> DynamicProviderProcess:
        process = DynamicProviderProcess(env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
