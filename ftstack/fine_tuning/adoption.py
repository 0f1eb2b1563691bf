"""Never paying twice: how the provider recognises its own jobs and files on the account, waits out an
answer that was lost, reconciles duplicates, and deletes only what no live job uses.

A request whose answer was lost (no answer, a timeout, a 5xx) may still be processed, even seconds after
the client gave up. So an ambiguous create is followed by a search with backoff over the adoption window
before anything is sent again, and a file is deleted only when a successful job list proves that no job
that has not ended still references it.
"""

from __future__ import annotations

from typing import Any

from ftstack.fine_tuning.errors import (
    JobMayExistError,
    RetryableServiceError,
    ServiceError,
    ServiceUnreachableError,
)
from ftstack.fine_tuning.models import ACTIVE_STATES, ENDED_WITHOUT_MODEL, TERMINAL_STATES, JobSpec
from ftstack.fine_tuning.runtime import Pacing, Runtime, Service

KEY_TAG = "ftstack-key"
RESOURCE_TAG = "ftstack-resource"
FILE_PREFIX = "ftstack-"
TRANSIENT = (RetryableServiceError, ServiceUnreachableError)
UNUSABLE_FILE_STATES = frozenset({"error", "deleted", "deleting"})
# The search after an ambiguous answer starts fast (a request processed late usually lands soon) and
# backs off, so a long window costs few requests.
SEARCH_PACING = Pacing(first=0.1, factor=1.6, longest=5.0)


def is_ambiguous(error: Exception) -> bool:
    """True when the request may have been processed although its answer says nothing or failed: no
    answer (dropped, timed out) or a server error. A 429 or 409 means the service did not act on it."""
    if isinstance(error, ServiceUnreachableError):
        return True
    return isinstance(error, RetryableServiceError) and (
        error.status is None or error.status in (408,) or error.status >= 500
    )


# --- naming ---------------------------------------------------------------------------------------


def data_filename(spec: JobSpec, sha256: str) -> str:
    """The name a data file is uploaded under: the job's adoption key and the content's sha256."""
    return f"{FILE_PREFIX}{spec.adoption_key[:16]}-{sha256}.jsonl"


def key_prefix(spec: JobSpec) -> str:
    """The filename prefix every data file of this adoption key has."""
    return f"{FILE_PREFIX}{spec.adoption_key[:16]}-"


def job_metadata(spec: JobSpec) -> dict[str, str]:
    """The metadata tags a job is created with, so a retried create can recognise it."""
    return {KEY_TAG: spec.adoption_key, RESOURCE_TAG: spec.resource_name[:512]}


# --- finding --------------------------------------------------------------------------------------


def own_files(service: Service, spec: JobSpec) -> list[dict[str, Any]]:
    """This key's usable data files on the account, oldest first."""
    prefix = key_prefix(spec)
    found = [
        f
        for f in service.list_files()
        if str(f.get("filename", "")).startswith(prefix) and f.get("status") not in UNUSABLE_FILE_STATES
    ]
    return sorted(found, key=lambda f: (int(f.get("created_at") or 0), str(f.get("id"))))


def files_by_name(files: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first (oldest) copy of each filename."""
    chosen: dict[str, dict[str, Any]] = {}
    for file in files:
        chosen.setdefault(str(file.get("filename")), file)
    return chosen


def tagged_jobs(jobs: list[dict[str, Any]], spec: JobSpec) -> list[dict[str, Any]]:
    """The jobs tagged with this spec's adoption key."""
    return [j for j in jobs if (j.get("metadata") or {}).get(KEY_TAG) == spec.adoption_key]


def find_adoptable_job(service: Service, spec: JobSpec, own_file_ids: set[str]) -> dict[str, Any] | None:
    """The job a previous create of this same resource and inputs already submitted, unless it failed
    or was cancelled: tagged with the adoption key, or training on this job's own uploaded file; the
    oldest when there are several (the others are duplicates to reconcile)."""
    candidates = [
        job
        for job in service.list_jobs()
        if job.get("status") not in ENDED_WITHOUT_MODEL
        and (
            (job.get("metadata") or {}).get(KEY_TAG) == spec.adoption_key
            or job.get("training_file") in own_file_ids
        )
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda j: (int(j.get("created_at") or 0), str(j.get("id"))))


def await_job(
    service: Service, spec: JobSpec, own_file_ids: set[str], rt: Runtime, cause: Exception
) -> dict[str, Any] | None:
    """After an ambiguous create: the job, once it shows up within the adoption window; None when a
    successful list at the window's end proves there is none. JobMayExistError when no list succeeded."""
    deadline = rt.clock() + rt.window_for(service)
    listed = False
    for interval in SEARCH_PACING.intervals():
        try:
            found = find_adoptable_job(service, spec, own_file_ids)
            listed = True
        except TRANSIENT:
            found = None
        if found is not None:
            return found
        if rt.clock() >= deadline or rt.remaining() <= 0:
            break
        rt.pause(min(interval, max(0.0, deadline - rt.clock())))
    if not listed:
        raise JobMayExistError(spec.resource_name, cause)
    return None


def await_file(service: Service, spec: JobSpec, name: str, rt: Runtime) -> dict[str, Any] | None:
    """After an ambiguous upload: the file once it shows up within the adoption window, or None when a
    successful list at the window's end proves it was never stored."""
    deadline = rt.clock() + rt.window_for(service)
    listed = False
    for interval in SEARCH_PACING.intervals():
        try:
            found = files_by_name(own_files(service, spec)).get(name)
            listed = True
        except TRANSIENT:
            found = None
        if found is not None:
            return found
        if rt.clock() >= deadline or rt.remaining() <= 0:
            break
        rt.pause(min(interval, max(0.0, deadline - rt.clock())))
    if not listed:
        raise ServiceUnreachableError(f"find upload {name}", None, None, "no file list succeeded")
    return None


# --- reconciling and deleting ---------------------------------------------------------------------


def live_references(jobs: list[dict[str, Any]]) -> set[str]:
    """The file ids that jobs which have not ended still train or validate on."""
    # Any status that is not terminal counts as live, including ones this client does not know.
    return {
        str(f)
        for j in jobs
        if j.get("status") not in TERMINAL_STATES
        for f in (j.get("training_file"), j.get("validation_file"))
        if f
    }


def reconcile(service: Service, spec: JobSpec, job: dict[str, Any], rt: Runtime) -> None:
    """Cancel and report every other live job with this key (a duplicate a lost answer made), then delete
    the copies of this key's data that `job` does not train on and no live job uses (a retried upload's,
    or one whose answer was lost and that the service stored late). A failing list skips this round."""
    keep_id = str(job["id"])
    try:
        jobs = service.list_jobs()
    except TRANSIENT as error:
        rt.progress(f"could not look for duplicate jobs ({error}); looking again at the next poll")
        return
    for other in tagged_jobs(jobs, spec):
        if other.get("id") == keep_id or other.get("status") not in ACTIVE_STATES:
            continue
        rt.progress(f"job {other['id']} duplicates {keep_id} (the same inputs); cancelling it")
        try:
            service.cancel_job(str(other["id"]))
        except ServiceError as error:
            rt.progress(f"could not cancel duplicate job {other['id']}: {error}")
    used = {str(f) for f in (job.get("training_file"), job.get("validation_file")) if f}
    try:
        extra = extra_copies(service, spec, used)
    except TRANSIENT as error:
        rt.progress(f"could not look for extra copies of the uploads ({error}); looking again later")
        return
    if extra:
        rt.progress(f"deleting {len(extra)} extra upload(s) of the same data")
        delete_unused_files(service, extra, rt)


def delete_unused_files(service: Service, file_ids: list[str], rt: Runtime) -> list[str]:
    """Delete the given files except those a job that has not ended still uses; returns the ids left
    behind although no live job was shown to use them (the job list or the delete failed). When the job
    list fails nothing is deleted (nothing proves the files are unused)."""
    if not file_ids:
        return []
    try:
        used = live_references(service.list_jobs())
    except TRANSIENT as error:
        rt.progress(f"kept files {', '.join(file_ids)}: could not list jobs to prove them unused ({error})")
        return list(dict.fromkeys(file_ids))
    left: list[str] = []
    for file_id in dict.fromkeys(file_ids):
        if file_id in used:
            rt.progress(f"kept file {file_id}: a job that has not ended uses it")
            continue
        try:
            service.delete_file(file_id)
            rt.progress(f"deleted file {file_id}")
        except ServiceError as error:
            rt.progress(f"could not delete file {file_id}: {error}")
            left.append(file_id)
    return left


def extra_copies(service: Service, spec: JobSpec, keep: set[str]) -> list[str]:
    """This key's data files other than `keep` (copies a retried upload stored)."""
    return [str(f["id"]) for f in own_files(service, spec) if str(f["id"]) not in keep]
