"""Reading one fine-tuning job for its report: the job, all its events, its checkpoints and its results file.

Read-only calls through the `openai` SDK on a client opened by `ftstack.evaluation.chat_client.open_sdk`
(one place decides auth and API version for evaluation and reporting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai
from azure.core.exceptions import ClientAuthenticationError

from ftstack.data_plane import CREDENTIAL_HINT
from ftstack.evaluation.chat_client import Endpoint, open_sdk

EVENTS_PAGE = 100
CHECKPOINTS_PAGE = 100


class JobReadError(Exception):
    """The job could not be read; `not_found` when the job does not exist (a user mistake)."""

    def __init__(self, message: str, not_found: bool = False):
        super().__init__(message)
        self.not_found = not_found


@dataclass(frozen=True)
class JobRecords:
    """What the service says about one job: the job object, events (oldest first), checkpoints, results CSV."""

    job: dict[str, Any]
    events: list[dict[str, Any]]
    checkpoints: list[dict[str, Any]]
    results_csv: str | None
    results_file_id: str | None


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    data: dict[str, Any] = obj.to_dict()
    return data


def fetch_job_records(endpoint: Endpoint, job_id: str) -> JobRecords:
    """The job `job_id` with its events, checkpoints and first results file; raises JobReadError."""
    sdk = open_sdk(endpoint)
    try:
        try:
            job = _as_dict(sdk.fine_tuning.jobs.retrieve(job_id))
        except openai.NotFoundError:
            raise JobReadError(
                f"--job {job_id}: no such fine-tuning job at {endpoint.url}; "
                f"`ftstack jobs list --endpoint {endpoint.url}` lists them",
                not_found=True,
            ) from None
        events = [_as_dict(e) for e in sdk.fine_tuning.jobs.list_events(job_id, limit=EVENTS_PAGE)]
        checkpoints = [
            _as_dict(c) for c in sdk.fine_tuning.jobs.checkpoints.list(job_id, limit=CHECKPOINTS_PAGE)
        ]
        result_files = [str(f) for f in job.get("result_files") or []]
        results_file_id = result_files[0] if result_files else None
        results_csv = sdk.files.content(results_file_id).text if results_file_id else None
    except openai.APIStatusError as error:
        raise JobReadError(
            f"{endpoint.url}: HTTP {error.status_code} reading job {job_id}: {error.message}"
        ) from error
    except openai.APIConnectionError as error:
        raise JobReadError(f"cannot reach {endpoint.url} ({error.message})") from error
    except ClientAuthenticationError as error:
        raise JobReadError(CREDENTIAL_HINT) from error
    finally:
        sdk.close()
    # The service lists events newest first; a stable sort of the reversed list keeps same-second order.
    events.reverse()
    events.sort(key=lambda e: e.get("created_at") or 0)
    return JobRecords(job, events, checkpoints, results_csv, results_file_id)
