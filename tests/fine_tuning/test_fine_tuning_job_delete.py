"""Deleting a job never deletes data it may still read, and never leaves data behind silently: its files go
only once the job has ended; a job that does not end within the bound, or a job list that fails, keeps
them with an error saying to run the delete again."""

from __future__ import annotations

from typing import Any

import pytest
from fine_tuning_harness import job_props

from ftstack.fine_tuning import inputs, lifecycle
from ftstack.fine_tuning.adoption import data_filename
from ftstack.fine_tuning.errors import CleanupIncompleteError, RetryableServiceError, StillActiveError
from ftstack.fine_tuning.models import JobSpec
from ftstack.fine_tuning.runtime import Pacing, Runtime


class Account:
    """An account with one job and its data file. The job stays `running` for `polls` reads after it is
    cancelled (forever with None); with `failing_lists` the job list answers 503. Records what it is
    asked, in order."""

    def __init__(self, spec: JobSpec, status: str, polls: int | None = 0, failing_lists: bool = False):
        name = data_filename(spec, spec.training_file_sha256)
        self.file = {"id": "file-1", "filename": name, "status": "processed"}
        self.job: dict[str, Any] = {"id": "ftjob-1", "status": status, "training_file": "file-1"}
        self.polls_left = polls
        self.failing_lists = failing_lists
        self.cancelled = False
        self.calls: list[str] = []

    def retrieve_job(self, job_id: str) -> dict[str, Any]:
        if self.cancelled and self.polls_left is not None:
            if self.polls_left == 0:
                self.job["status"] = "cancelled"
            self.polls_left -= 1
        self.calls.append(f"read {self.job['status']}")
        return dict(self.job)

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        self.cancelled = True
        self.calls.append("cancel")
        return dict(self.job)

    def list_jobs(self) -> list[dict[str, Any]]:
        if self.failing_lists:
            raise RetryableServiceError("list fine-tuning jobs", 503, "serviceUnavailable", "busy", None)
        return [dict(self.job)]

    def list_files(self) -> list[dict[str, Any]]:
        return [dict(self.file)]

    def delete_file(self, file_id: str) -> bool:
        self.calls.append(f"delete {file_id}")
        return True


def _spec() -> JobSpec:
    return inputs.spec_from_props(job_props("https://example.openai.azure.com"))


def _runtime() -> Runtime:
    """A runtime whose clock only sleeping moves."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return Runtime(clock=lambda: now[0], sleep=sleep, pacing=Pacing(first=1.0, longest=5.0))


def test_a_cancelled_jobs_files_are_deleted_only_once_it_has_ended() -> None:
    spec = _spec()
    account = Account(spec, "running", polls=2)

    lifecycle.cancel_and_clean(account, spec, "ftjob-1", ["file-1"], _runtime())

    assert account.calls == [
        "read running",
        "cancel",
        "read running",
        "read running",
        "read cancelled",
        "delete file-1",
    ]


def test_a_job_still_running_after_its_cancel_keeps_its_files_and_asks_for_the_delete_again() -> None:
    spec = _spec()
    account = Account(spec, "running", polls=None)

    with pytest.raises(StillActiveError) as raised:
        lifecycle.cancel_and_clean(account, spec, "ftjob-1", ["file-1"], _runtime())

    assert not any(call.startswith("delete") for call in account.calls)
    assert "ftjob-1 is still running" in str(raised.value)
    assert "run the delete (destroy) again" in str(raised.value)


def test_a_delete_whose_job_list_fails_keeps_the_files_and_asks_for_the_delete_again() -> None:
    spec = _spec()
    account = Account(spec, "succeeded", failing_lists=True)

    with pytest.raises(CleanupIncompleteError) as raised:
        lifecycle.cancel_and_clean(account, spec, "ftjob-1", ["file-1"], _runtime())

    assert not any(call.startswith("delete") for call in account.calls)
    assert "file-1" in str(raised.value) and "run the delete (destroy) again" in str(raised.value)
