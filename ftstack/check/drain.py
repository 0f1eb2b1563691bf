"""How long the deploy may wait for the stack's fine-tuning jobs, against the deploy runner's job limit.

Basis (no setting in the environment schema gives a job's expected duration or the runner's limit):
- the jobs are the FineTuningJob resources the program declares (an experiment's points included), with the
  `wait` and `wait_timeout_seconds` inputs the provider waits by (ftstack/fine_tuning/inputs.py); a job with
  `wait: false` does not hold the deploy;
- an account trains `runningJobsPerResource` jobs at a time (one, ftstack/catalog/data/service_limits.yaml),
  the rest queue, so the worst case is each waiting job using its whole bound, one after another;
- the runner is the one the deploy workflow picks for the stack and its limit, with the margin for refresh,
  uploads and deployments, comes from ftstack/config/runner_placement.py (GitHub-hosted: 360 min;
  self-hosted: 5 days).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.catalog.service_limits import load_service_limits
from ftstack.config.runner_placement import (
    DEPLOY_MARGIN_MINUTES,
    HOSTED_JOB_LIMIT_MINUTES,
    SELF_HOSTED_JOB_LIMIT_MINUTES,
    placement,
)
from ftstack.config.schema import EnvironmentConfig, JobConfig
from ftstack.preview import DeclaredResource

JOB_TYPE = "pulumi-python:dynamic/ftstack:FineTuningJob"
BASIS = (
    "worst case: each waiting job uses its whole wait bound (waitTimeoutMinutes), one after another as the "
    "account trains them; the runner is the one the deploy workflow picks for this stack"
)
RUNNER_NAMES = {"github-hosted": "GitHub-hosted", "self-hosted": "self-hosted"}


@dataclass(frozen=True)
class DrainEstimate:
    """The stack's jobs, how long the deploy may wait for them, and the deploy runner's job limit."""

    waiting_jobs: int
    unwaited_jobs: int
    training_at_once: int
    worst_case_minutes: float
    margin_minutes: int
    runner: str  # "github-hosted" or "self-hosted"
    runner_limit_minutes: int

    @property
    def fits(self) -> bool:
        """True when the worst case, with the margin for the rest of the deploy, ends within the limit."""
        return self.worst_case_minutes + self.margin_minutes <= self.runner_limit_minutes

    def to_json(self) -> dict[str, Any]:
        """The check report's `drain` object."""
        return {
            "jobs": self.waiting_jobs,
            "notWaited": self.unwaited_jobs,
            "trainingAtOnce": self.training_at_once,
            "worstCaseMinutes": round(self.worst_case_minutes, 1),
            "marginMinutes": self.margin_minutes,
            "runner": self.runner,
            "runnerLimitMinutes": self.runner_limit_minutes,
            "fits": self.fits,
            "basis": BASIS,
        }

    def summary(self) -> str:
        """One line: the waiting jobs, the worst case and the runner's limit."""
        runner = (
            f"the {RUNNER_NAMES[self.runner]} runner's job limit of {duration(self.runner_limit_minutes)}"
        )
        if not self.waiting_jobs:
            held = "no fine-tuning job holds the deploy"
            if self.unwaited_jobs:
                held += f" ({self.unwaited_jobs} with wait: false)"
            return f"{held}; {runner}"
        at_once = "one trains" if self.training_at_once == 1 else f"{self.training_at_once} train"
        unwaited = f" ({self.unwaited_jobs} more with wait: false)" if self.unwaited_jobs else ""
        verdict = "within" if self.fits else "beyond"
        return (
            f"{self.waiting_jobs} waiting job(s){unwaited}, {at_once} at a time: up to "
            f"{duration(self.worst_case_minutes)} if each uses its whole wait bound, plus "
            f"{duration(self.margin_minutes)} for the rest of the deploy, {verdict} {runner}"
        )

    def warning(self) -> str | None:
        """The warning when the worst case outlasts the runner, else None."""
        if self.fits:
            return None
        hosted = self.runner == "github-hosted"
        where = "run the deploy on a self-hosted runner" if hosted else "split the jobs across deploys"
        return (
            f"fineTuning.jobs: {self.summary()}: the runner would cancel the deploy mid-training and leave the "
            f"stack locked; lower waitTimeoutMinutes, set wait: false on experiments (and promote on a later "
            f"`up`), or {where}"
        )


def drain_estimate(
    stack: str, env: EnvironmentConfig, resources: Sequence[DeclaredResource], project_dir: Path
) -> DrainEstimate:
    """The drain estimate of the jobs `resources` declares, on the runner the stack deploys from."""
    bounds: list[float] = []
    unwaited = 0
    for resource in resources:
        if resource.type != JOB_TYPE:
            continue
        if resource.inputs.get("wait") is False:
            unwaited += 1
            continue
        bounds.append(_minutes(resource.inputs.get("wait_timeout_seconds")))
    at_once = load_service_limits().running_jobs
    hosted = placement(stack, env, project_dir).hosted
    return DrainEstimate(
        waiting_jobs=len(bounds),
        unwaited_jobs=unwaited,
        training_at_once=at_once,
        worst_case_minutes=_makespan(bounds, at_once),
        margin_minutes=DEPLOY_MARGIN_MINUTES,
        runner="github-hosted" if hosted else "self-hosted",
        runner_limit_minutes=HOSTED_JOB_LIMIT_MINUTES if hosted else SELF_HOSTED_JOB_LIMIT_MINUTES,
    )


def _minutes(seconds: Any) -> float:
    """A job's wait bound in minutes (the schema's default when the input is not known in preview)."""
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return float(seconds) / 60
    return float(JobConfig.model_fields["wait_timeout_minutes"].default)


def _makespan(bounds: list[float], slots: int) -> float:
    """When the last job ends if each takes its bound and starts on the first free slot, in declared order."""
    free = [0.0] * max(1, slots)
    for bound in bounds:
        heapq.heappush(free, heapq.heappop(free) + bound)
    return max(free)


def duration(minutes: float) -> str:
    """Minutes as a reader says them: `45 min`, `8 h`, `5 days`."""
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h".replace(".0 h", " h")
    return f"{hours / 24:.1f} days".replace(".0 days", " days")
