"""The job operations on one account's data plane, through the `openai` SDK opened by
`ftstack.evaluation.chat_client.open_sdk` (one place decides auth, API surface and retries).

Every failure is a JobsError with one line that says what to do; `not_found` when the job does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from ftstack.data_plane import CREDENTIAL_HINT, is_credential_error
from ftstack.evaluation.chat_client import Endpoint, open_sdk

TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
PAGE = 100
DEFAULT_POLL_SECONDS = 2.0

T = TypeVar("T")


class JobsError(Exception):
    """A job operation that did not happen; the message is one line for the user."""

    def __init__(self, message: str, not_found: bool = False):
        super().__init__(message)
        self.not_found = not_found


@dataclass(frozen=True)
class StepMetrics:
    """The newest training metrics a job reported (from its `metrics` events)."""

    step: int
    total_steps: int | None
    train_loss: float | None
    valid_loss: float | None
    full_valid_loss: float | None


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    data: dict[str, Any] = obj.to_dict()
    return data


def _message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    details = inner if isinstance(inner, dict) else body
    return " ".join(str(details.get("message") or error.message).split())


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def latest_metrics(events: Sequence[Mapping[str, Any]]) -> StepMetrics | None:
    """The newest step's metrics among `events` (oldest first), or None when no metrics were reported."""
    for event in reversed(events):
        data = event.get("data")
        if event.get("type") != "metrics" or not isinstance(data, Mapping) or "step" not in data:
            continue
        total = data.get("total_steps")
        return StepMetrics(
            step=int(data["step"]),
            total_steps=int(total) if isinstance(total, int | float) else None,
            train_loss=_number(data.get("train_loss")),
            valid_loss=_number(data.get("valid_loss")),
            full_valid_loss=_number(data.get("full_valid_loss")),
        )
    return None


class JobsClient:
    """List, read and steer the fine-tuning jobs of one account."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._sdk = open_sdk(endpoint)

    def close(self) -> None:
        """Release the HTTP connections."""
        self._sdk.close()

    def _call(self, job_id: str | None, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except openai.NotFoundError as error:
            if job_id is None:
                raise JobsError(
                    f"{self.endpoint.url}: no fine-tuning API here (HTTP 404: {_message(error)}); "
                    "check the endpoint (https://NAME.openai.azure.com)"
                ) from None
            raise JobsError(
                f"no fine-tuning job {job_id} at {self.endpoint.url}; `ftstack jobs list` shows the jobs there",
                not_found=True,
            ) from None
        except openai.APIStatusError as error:
            hint = {401: "the endpoint refused the credentials", 403: "access denied"}.get(
                error.status_code, "the service refused the request"
            )
            what = f"job {job_id}" if job_id else "the jobs"
            raise JobsError(
                f"{self.endpoint.url}: {hint} for {what} (HTTP {error.status_code}: {_message(error)})"
            ) from None
        except openai.APIConnectionError as error:
            raise JobsError(f"cannot reach {self.endpoint.url} ({error.message})") from None
        except Exception as error:
            if is_credential_error(error):
                raise JobsError(CREDENTIAL_HINT) from None
            raise

    def list_jobs(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The account's jobs, newest first (all of them, or the newest `limit`)."""

        def fetch() -> list[dict[str, Any]]:
            jobs: list[dict[str, Any]] = []
            for job in self._sdk.fine_tuning.jobs.list(limit=min(limit or PAGE, PAGE)):
                jobs.append(_as_dict(job))
                if limit is not None and len(jobs) >= limit:
                    break
            return jobs

        return self._call(None, fetch)

    def get(self, job_id: str) -> dict[str, Any]:
        """The job object."""
        return self._call(job_id, lambda: _as_dict(self._sdk.fine_tuning.jobs.retrieve(job_id)))

    def events(self, job_id: str, known: set[str] | None = None) -> list[dict[str, Any]]:
        """The job's events oldest first: all of them, or only those newer than the newest id in `known`
        (the service lists newest first, so paging stops at the first known event)."""

        def fetch() -> list[dict[str, Any]]:
            newest_first: list[dict[str, Any]] = []
            for event in self._sdk.fine_tuning.jobs.list_events(job_id, limit=PAGE):
                data = _as_dict(event)
                if known and str(data.get("id")) in known:
                    break
                newest_first.append(data)
            # A stable sort of the reversed list keeps the service's order within one second.
            newest_first.reverse()
            newest_first.sort(key=lambda e: e.get("created_at") or 0)
            return newest_first

        return self._call(job_id, fetch)

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        """The job's checkpoints, by step."""

        def fetch() -> list[dict[str, Any]]:
            found = [_as_dict(c) for c in self._sdk.fine_tuning.jobs.checkpoints.list(job_id, limit=PAGE)]
            return sorted(found, key=lambda c: int(c.get("step_number") or 0))

        return self._call(job_id, fetch)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask the service to cancel the job; the job as it answers."""
        return self._call(job_id, lambda: _as_dict(self._sdk.fine_tuning.jobs.cancel(job_id)))

    def pause(self, job_id: str) -> dict[str, Any]:
        """Ask the service to pause a running job (it keeps its checkpoints); the job as it answers."""
        return self._call(job_id, lambda: _as_dict(self._sdk.fine_tuning.jobs.pause(job_id)))

    def resume(self, job_id: str) -> dict[str, Any]:
        """Ask the service to resume a paused job; the job as it answers."""
        return self._call(job_id, lambda: _as_dict(self._sdk.fine_tuning.jobs.resume(job_id)))

    def follow(
        self,
        job_id: str,
        on_events: Callable[[dict[str, Any], list[dict[str, Any]]], None],
        interval: float = DEFAULT_POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> dict[str, Any]:
        """Poll the job until it ends, handing each batch of new events (oldest first) to `on_events`
        with the job as it stands; returns the job in its final state."""
        known: set[str] = set()
        while True:
            job = self.get(job_id)
            fresh = self.events(job_id, known)
            known.update(str(e.get("id")) for e in fresh)
            on_events(job, fresh)
            if job.get("status") in TERMINAL_STATUSES:
                # Events written as the job ended may land after the status read: one more look.
                last = self.events(job_id, known)
                if last:
                    on_events(job, last)
                return job
            sleep(interval)


@contextmanager
def open_jobs(endpoint: Endpoint) -> Iterator[JobsClient]:
    """A JobsClient for `endpoint`, closed on exit."""
    client = JobsClient(endpoint)
    try:
        yield client
    finally:
        client.close()
