"""Waiting that fits CI: the bound counts from when the job leaves the queue, the whole wait is capped by a
share of the runner's job limit, and a wait that is told to stop ends at once, leaving the job to adopt."""

from __future__ import annotations

from typing import Any

import pytest

from components.fine_tuning_job import _explained
from ftstack.config.runner_placement import HOSTED_JOB_LIMIT_MINUTES, SELF_HOSTED_JOB_LIMIT_MINUTES
from ftstack.fine_tuning import lifecycle
from ftstack.fine_tuning.errors import WaitTimeoutError
from ftstack.fine_tuning.wait_budget import (
    DEFAULT_RUNNER_SHARE,
    BudgetedRuntime,
    RunnerCap,
    WaitBudgetError,
    WaitInterruptedError,
    WatchedService,
    runner_cap,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Timeline:
    """A job queued for `queued` seconds, then running for `running` seconds, then succeeded."""

    def __init__(self, clock: FakeClock, queued: float, running: float):
        self.clock, self.queued, self.running = clock, queued, running

    def status(self) -> str:
        if self.clock.now < self.queued:
            return "queued"
        if self.clock.now < self.queued + self.running:
            return "running"
        return "succeeded"

    def retrieve_job(self, job_id: str) -> dict[str, Any]:
        return {"id": job_id, "status": self.status(), "fine_tuned_model": None}

    def list_events(self, job_id: str, limit: int = 20) -> list[dict[str, Any]]:
        return []


def budgeted(clock: FakeClock, bound: float, cap: RunnerCap | None = None, **kw: Any) -> BudgetedRuntime:
    rt = BudgetedRuntime(clock=clock, sleep=clock.sleep, wall_clock=clock, cap=cap, **kw)
    rt.start(bound)
    return rt


def wait(rt: BudgetedRuntime, timeline: Timeline) -> dict[str, Any]:
    service = WatchedService(timeline, rt)
    first = service.retrieve_job("ftjob-1")
    return lifecycle.wait_for_job(service, first, rt)  # type: ignore[arg-type]


def test_time_in_the_queue_does_not_count_against_the_wait_bound() -> None:
    # Three jobs ahead of it train for an hour each; this one trains for 50 minutes within its 60.
    clock = FakeClock()
    lines: list[str] = []
    rt = budgeted(clock, 3600, progress=lines.append)

    job = wait(rt, Timeline(clock, queued=3 * 3600, running=3000))

    assert job["status"] == "succeeded"
    assert rt.queued_seconds() == pytest.approx(3 * 3600, abs=60)
    assert any(
        "left the queue after" in line and "wait bound of 3600 s runs from now" in line for line in lines
    )


def test_training_longer_than_the_bound_still_times_out_after_the_queue() -> None:
    clock = FakeClock()
    rt = budgeted(clock, 600)

    with pytest.raises(WaitTimeoutError, match="still running"):
        wait(rt, Timeline(clock, queued=1800, running=7200))
    assert 1800 + 600 <= clock.now <= 1800 + 600 + 60


def test_on_a_runner_the_whole_wait_queue_included_ends_at_its_share_of_the_runner_limit() -> None:
    clock = FakeClock()
    cap = RunnerCap(limit_seconds=360 * 60, share=0.8, started_at=0.0)
    rt = budgeted(clock, 720 * 60, cap=cap)

    with pytest.raises(WaitTimeoutError) as raised:
        wait(rt, Timeline(clock, queued=10 * 3600, running=3600))

    assert clock.now == pytest.approx(288 * 60, abs=1)
    assert rt.capped()
    explained = _explained(raised.value, rt, "support-bot")
    assert "80% of the runner's 360 min job limit" in str(explained)
    assert "run the update again to adopt it" in str(explained)


def test_the_cap_counts_from_when_the_runner_started() -> None:
    clock = FakeClock()
    clock.now = 100 * 60  # the provider starts 100 minutes into the runner's job
    cap = RunnerCap(limit_seconds=360 * 60, share=0.5, started_at=0.0)
    rt = budgeted(clock, 720 * 60, cap=cap)
    assert rt.remaining() == pytest.approx(80 * 60)


def test_github_hosted_and_self_hosted_runners_have_their_own_limits() -> None:
    hosted = runner_cap({"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted"})
    own = runner_cap({"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "self-hosted"})
    assert hosted is not None and own is not None
    assert hosted.limit_seconds == HOSTED_JOB_LIMIT_MINUTES * 60
    assert own.limit_seconds == SELF_HOSTED_JOB_LIMIT_MINUTES * 60
    assert hosted.share == DEFAULT_RUNNER_SHARE
    assert runner_cap({}) is None  # off CI nothing caps the wait but the job's bound


def test_the_runner_limit_share_and_start_are_configurable() -> None:
    cap = runner_cap(
        {
            "FTSTACK_RUNNER_LIMIT_MINUTES": "150",
            "FTSTACK_WAIT_RUNNER_SHARE": "0.5",
            "FTSTACK_RUNNER_STARTED_AT": "1000",
        }
    )
    assert cap == RunnerCap(limit_seconds=9000, share=0.5, started_at=1000)
    with pytest.raises(WaitBudgetError, match="must be at most 1"):
        runner_cap({"FTSTACK_RUNNER_LIMIT_MINUTES": "150", "FTSTACK_WAIT_RUNNER_SHARE": "1.5"})
    with pytest.raises(WaitBudgetError, match="is not a number"):
        runner_cap({"FTSTACK_RUNNER_LIMIT_MINUTES": "six hours"})


def test_a_wait_told_to_stop_ends_within_a_second_and_says_the_job_is_adopted_next_time() -> None:
    clock = FakeClock()
    stop_at = 95.0
    lines: list[str] = []
    rt = budgeted(clock, 3600, interrupted=lambda: clock.now >= stop_at, progress=lines.append)

    with pytest.raises(WaitInterruptedError) as raised:
        wait(rt, Timeline(clock, queued=0, running=3000))

    assert stop_at <= clock.now <= stop_at + 1
    explained = _explained(raised.value, rt, "support-bot")
    assert "support-bot: waiting was interrupted" in str(explained)
    assert "the job keeps training and the next `pulumi up` adopts it" in str(explained)
    assert lines[-1] == str(explained)
