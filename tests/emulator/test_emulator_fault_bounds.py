"""Fault rules are bounded: a rule cannot hold a client for days or schedule work at infinity."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ftstack.emulator.faults import FaultRule


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "slow", "delay": 1e9},
        {"kind": "slow", "delay": float("inf")},
        {"kind": "drop_after", "lag": float("nan")},
        {"kind": "drop_after", "lag": 86_400},
        {"kind": "429", "retry_after": 10**9},
    ],
    ids=["delay-huge", "delay-inf", "lag-nan", "lag-a-day", "retry-after-huge"],
)
def test_a_fault_rule_with_an_unbounded_wait_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FaultRule.model_validate(fields)


def test_a_fault_rule_within_the_bounds_is_accepted() -> None:
    rule = FaultRule.model_validate({"kind": "drop_after", "lag": 5})
    assert rule.lag == 5
