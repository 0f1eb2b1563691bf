"""How long one provider operation may wait, in a way that fits CI.

- The job's bound (`wait_timeout_seconds`) counts from when the job leaves the queue: the time a job spends
  `pending` or `queued` (behind the account's other jobs: an account trains one at a time) does not count.
  Uploads, file processing and training do.
- On a CI runner the whole wait, queue included, is capped by a share of the runner's job limit, counted from
  when the runner started: GitHub cancels a job after 360 min on its own runners (5 days on self-hosted ones)
  and leaves the stack locked. The limit comes from `FTSTACK_RUNNER_LIMIT_MINUTES` (set it to the workflow's
  `timeout-minutes`), else from GitHub's runner type (`RUNNER_ENVIRONMENT`); the share from
  `FTSTACK_WAIT_RUNNER_SHARE` (default 0.8, the rest is the deploy's margin: refresh, deployments); the
  start from `FTSTACK_RUNNER_STARTED_AT` (unix seconds; default: when the provider process started).
- Waiting is interrupted when the provider process is told to stop (SIGINT/SIGTERM end the dynamic provider
  server's main thread) or when the engine that started it is gone: the job keeps training and the next
  `pulumi up` adopts it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ftstack.fine_tuning.errors import FineTuningError
from ftstack.fine_tuning.runtime import Runtime

RUNNER_LIMIT_ENV = "FTSTACK_RUNNER_LIMIT_MINUTES"
RUNNER_SHARE_ENV = "FTSTACK_WAIT_RUNNER_SHARE"
RUNNER_STARTED_ENV = "FTSTACK_RUNNER_STARTED_AT"
DEFAULT_RUNNER_SHARE = 0.8
# Job states in which the job waits its turn rather than trains (Azure's `pending`, v1's `queued`).
QUEUE_STATES: frozenset[str] = frozenset({"created", "pending", "queued"})
# A pause is slept in slices this long, so an interruption is noticed within a second.
SLICE_SECONDS = 1.0
_PROCESS_STARTED = time.time()
_PARENT = os.getppid()


class WaitBudgetError(FineTuningError):
    """A runner setting in the environment is not valid."""


class WaitInterruptedError(FineTuningError):
    """The provider process was told to stop while it waited; nothing was cancelled on the account."""


@dataclass(frozen=True)
class RunnerCap:
    """The share of a runner's job limit the waiting may use, and when the runner started (unix seconds)."""

    limit_seconds: float
    share: float
    started_at: float

    @property
    def cap_seconds(self) -> float:
        """Seconds after the runner's start when waiting must have ended."""
        return self.limit_seconds * self.share

    def seconds_left(self, now: float | None = None) -> float:
        """Seconds of the cap left at `now` (wall clock)."""
        return self.started_at + self.cap_seconds - (time.time() if now is None else now)

    def describe(self) -> str:
        """The cap as a reader says it."""
        return (
            f"{self.share:.0%} of the runner's {self.limit_seconds / 60:.0f} min job limit "
            f"({RUNNER_LIMIT_ENV}, {RUNNER_SHARE_ENV})"
        )


def _number(environ: Mapping[str, str], name: str) -> float | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as error:
        raise WaitBudgetError(f"{name}={raw!r} is not a number") from error
    if value <= 0:
        raise WaitBudgetError(f"{name}={raw!r} must be positive")
    return value


def runner_cap(environ: Mapping[str, str] | None = None) -> RunnerCap | None:
    """The cap of the runner this process runs on, or None off CI (no runner limit to respect)."""
    from ftstack.config.runner_placement import HOSTED_JOB_LIMIT_MINUTES, SELF_HOSTED_JOB_LIMIT_MINUTES

    env = os.environ if environ is None else environ
    minutes = _number(env, RUNNER_LIMIT_ENV)
    if minutes is None and env.get("GITHUB_ACTIONS") == "true":
        hosted = env.get("RUNNER_ENVIRONMENT", "github-hosted") != "self-hosted"
        minutes = HOSTED_JOB_LIMIT_MINUTES if hosted else SELF_HOSTED_JOB_LIMIT_MINUTES
    if minutes is None:
        return None
    share = _number(env, RUNNER_SHARE_ENV) or DEFAULT_RUNNER_SHARE
    if share > 1:
        raise WaitBudgetError(
            f"{RUNNER_SHARE_ENV}={share:g} must be at most 1 (a share of the runner's limit)"
        )
    started = _number(env, RUNNER_STARTED_ENV) or _PROCESS_STARTED
    return RunnerCap(minutes * 60, share, started)


def provider_stopping() -> bool:
    """True when this process is shutting down (its main thread ended: the dynamic provider server's main
    thread ends on SIGINT) or the process that started it is gone (the engine)."""
    return not threading.main_thread().is_alive() or os.getppid() != _PARENT


def _never() -> bool:
    return False


@dataclass
class BudgetedRuntime(Runtime):
    """A Runtime whose bound pauses while the watched job is queued, capped by the runner's share, and
    whose pauses end early (WaitInterruptedError) when `interrupted()` says so.

    The job's states reach it through `observe` (WatchedService calls it with every job it sees)."""

    cap: RunnerCap | None = None
    interrupted: Callable[[], bool] = _never
    wall_clock: Callable[[], float] = time.time
    _queued_total: float = field(default=0.0, init=False)
    _queued_since: float | None = field(default=None, init=False)
    _left_queue_reported: bool = field(default=False, init=False)
    _cap_deadline: float | None = field(default=None, init=False)
    _bound: float = field(default=0.0, init=False)

    def start(self, bound_seconds: float) -> None:
        """Start the bound (it runs only while the job is not queued) and the runner's cap."""
        super().start(bound_seconds)
        self._bound = bound_seconds
        self._queued_total, self._queued_since = 0.0, None
        if self.cap is not None:
            self._cap_deadline = self.clock() + self.cap.seconds_left(self.wall_clock())

    def observe(self, job: Mapping[str, Any]) -> None:
        """Account for the job's state at this moment: the time since the last observation counts as queue
        time when the job was queued then."""
        now = self.clock()
        queued = job.get("status") in QUEUE_STATES
        if self._queued_since is not None:
            self._queued_total += now - self._queued_since
            if not queued and not self._left_queue_reported:
                self._left_queue_reported = True
                self.progress(
                    f"job {job.get('id')} left the queue after {self._queued_total:.0f} s; its wait bound of "
                    f"{self._bound:.0f} s runs from now"
                )
        self._queued_since = now if queued else None

    def queued_seconds(self) -> float:
        """Seconds the job has spent queued in this operation."""
        ongoing = self.clock() - self._queued_since if self._queued_since is not None else 0.0
        return self._queued_total + ongoing

    def cap_remaining(self) -> float | None:
        """Seconds left under the runner's cap, or None off CI."""
        return None if self._cap_deadline is None else self._cap_deadline - self.clock()

    def remaining(self) -> float:
        """Seconds left: the bound (queue time not counted), and no later than the runner's cap."""
        left = super().remaining() + self.queued_seconds()
        cap = self.cap_remaining()
        return left if cap is None else min(left, cap)

    def capped(self) -> bool:
        """True when the runner's cap, not the job's own bound, ended the wait."""
        cap = self.cap_remaining()
        return cap is not None and cap <= 0 and super().remaining() + self.queued_seconds() > 0

    def pause(self, seconds: float) -> None:
        """Sleep `seconds` (never past the bound) in slices, ending early when the wait is interrupted."""
        end = self.clock() + max(0.0, min(seconds, self.remaining()))
        while True:
            if self.interrupted():
                raise WaitInterruptedError(
                    "waiting was interrupted: the provider was told to stop (Ctrl-C, SIGTERM or a cancelled "
                    "deploy); nothing was cancelled on the account"
                )
            left = end - self.clock()
            if left <= 0:
                return
            self.sleep(min(SLICE_SECONDS, left))


class WatchedService:
    """A Service that tells the runtime the state of every job it creates or reads."""

    def __init__(self, service: Any, rt: BudgetedRuntime):
        self._service = service
        self._rt = rt

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    def create_job(self, body: dict[str, Any], extra_body: dict[str, Any]) -> dict[str, Any]:
        """Submit the job (see FineTuningClient.create_job), noting its first state."""
        job: dict[str, Any] = self._service.create_job(body, extra_body)
        self._rt.observe(job)
        return job

    def retrieve_job(self, job_id: str) -> dict[str, Any] | None:
        """The job (see FineTuningClient.retrieve_job), its state noted."""
        job: dict[str, Any] | None = self._service.retrieve_job(job_id)
        if job is not None:
            self._rt.observe(job)
        return job
