"""The drain estimate: which jobs hold the deploy, and how long at worst."""

from __future__ import annotations

from typing import Any

from ftstack.check.drain import JOB_TYPE, drain_estimate, duration
from ftstack.config import load_environment
from ftstack.preview import DeclaredResource
from tests.check.check_projects import ROOT


def job(name: str, **inputs: Any) -> DeclaredResource:
    urn = f"urn:pulumi:dev::ftstack::{JOB_TYPE}::{name}"
    return DeclaredResource(JOB_TYPE, name, urn, "", True, None, inputs, (), {}, ())


def test_a_job_that_does_not_wait_does_not_count_toward_the_drain_time() -> None:
    _, env = load_environment("dev", ROOT)
    jobs = [
        job("a", wait=True, wait_timeout_seconds=3600.0),
        job("b", wait=False, wait_timeout_seconds=3600.0),
    ]
    estimate = drain_estimate("dev", env, jobs, ROOT)
    assert (estimate.waiting_jobs, estimate.unwaited_jobs, estimate.worst_case_minutes) == (1, 1, 60.0)
    assert estimate.summary().startswith("1 waiting job(s) (1 more with wait: false), one trains at a time")


def test_a_bound_unknown_in_preview_counts_as_the_schemas_default() -> None:
    _, env = load_environment("dev", ROOT)
    estimate = drain_estimate("dev", env, [job("a", wait=True, wait_timeout_seconds="unknown")], ROOT)
    assert estimate.worst_case_minutes == 720.0


def test_a_stack_without_jobs_says_nothing_holds_the_deploy() -> None:
    _, env = load_environment("dev", ROOT)
    estimate = drain_estimate("dev", env, [], ROOT)
    assert estimate.fits and estimate.warning() is None
    assert (
        estimate.summary()
        == "no fine-tuning job holds the deploy; the self-hosted runner's job limit of 5 days"
    )


def test_durations_read_as_minutes_hours_or_days() -> None:
    assert [duration(m) for m in (45, 480, 570, 7200)] == ["45 min", "8 h", "9.5 h", "5 days"]
