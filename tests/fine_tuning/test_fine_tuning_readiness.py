"""A new account is given time to become ready before anything is uploaded: a role assignment that has not
taken effect (401/403) or a name that does not resolve yet is retried, with a progress line, within a
bound; any other refusal, or the same one past the bound, ends the create at once."""

from __future__ import annotations

from typing import Any

import pytest
from fine_tuning_harness import job_props

from ftstack.fine_tuning import inputs, lifecycle
from ftstack.fine_tuning.errors import ServiceError, ServiceUnreachableError
from ftstack.fine_tuning.runtime import Runtime


class NotReadyAccount:
    """An account that refuses `refusals` model reads, then offers the model for fine-tuning."""

    def __init__(self, refusals: list[ServiceError]):
        self.refusals = list(refusals)
        self.reads = 0

    def retrieve_model(self, model_id: str) -> dict[str, Any] | None:
        self.reads += 1
        if self.refusals:
            raise self.refusals.pop(0)
        return {"id": model_id, "capabilities": {"fine_tune": True}}


def _runtime(lines: list[str], bound: float = 3600) -> Runtime:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    runtime = Runtime(progress=lines.append, clock=lambda: now[0], sleep=sleep)
    runtime.start(bound)
    return runtime


def _spec() -> Any:
    return inputs.spec_from_props(job_props("https://example.openai.azure.com"))


def test_a_role_not_yet_in_effect_and_a_name_not_yet_resolving_are_waited_out() -> None:
    account = NotReadyAccount(
        [
            ServiceError("retrieve model", 403, "PermissionDenied", "principal lacks the role"),
            ServiceError("retrieve model", 401, "Unauthorized", "token not accepted yet"),
            ServiceUnreachableError("retrieve model", None, None, "Name or service not known"),
        ]
    )
    lines: list[str] = []
    lifecycle.ensure_trainable(account, _spec(), _runtime(lines))  # type: ignore[arg-type]
    assert account.reads == 4
    assert len(lines) == 3 and all("not ready yet" in line and "retrying" in line for line in lines)


def test_a_permission_that_never_arrives_fails_after_the_readiness_bound() -> None:
    refusal = ServiceError("retrieve model", 403, "PermissionDenied", "principal lacks the role")
    account = NotReadyAccount([refusal] * 1000)
    lines: list[str] = []
    runtime = _runtime(lines)
    with pytest.raises(ServiceError, match="PermissionDenied"):
        lifecycle.ensure_trainable(account, _spec(), runtime)  # type: ignore[arg-type]
    assert runtime.elapsed() <= lifecycle.READINESS_SECONDS


def test_a_refusal_that_is_not_about_readiness_is_not_retried() -> None:
    account = NotReadyAccount([ServiceError("retrieve model", 400, "invalidPayload", "bad request")])
    with pytest.raises(ServiceError, match="invalidPayload"):
        lifecycle.ensure_trainable(account, _spec(), _runtime([]))  # type: ignore[arg-type]
    assert account.reads == 1
