"""A fine-tuning job's lifecycle against the service: preflight, upload, adopt, create, wait, read, delete.

Everything here is idempotent by content: data files are named after the job's adoption key and their
sha256, and jobs carry the key in their metadata, so a create retried after the process died, or after
an answer was lost, finds the files and the job it already made instead of paying twice (the rules are
in `adoption.py`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ftstack.fine_tuning.adoption import (
    KEY_TAG,
    RESOURCE_TAG,
    TRANSIENT,
    UNUSABLE_FILE_STATES,
    await_file,
    await_job,
    data_filename,
    delete_unused_files,
    files_by_name,
    find_adoptable_job,
    is_ambiguous,
    job_metadata,
    own_files,
    reconcile,
)
from ftstack.fine_tuning.errors import (
    CleanupIncompleteError,
    DataChangedError,
    FileProcessingError,
    JobFailedError,
    JobMayExistError,
    ModelNotTrainableError,
    RetryableServiceError,
    ServiceError,
    ServiceUnreachableError,
    StillActiveError,
    WaitTimeoutError,
)
from ftstack.fine_tuning.models import (
    ACTIVE_STATES,
    ENDED_WITHOUT_MODEL,
    Checkpoint,
    JobSpec,
    JobState,
    UploadedFiles,
)
from ftstack.fine_tuning.runtime import Pacing, Runtime, Service

__all__ = [
    "KEY_TAG",
    "RESOURCE_TAG",
    "Pacing",
    "Runtime",
    "Service",
    "cancel_and_clean",
    "create",
    "data_filename",
    "job_metadata",
    "refresh",
    "wait_more",
]

SUBMIT_ATTEMPTS = 5
# Seconds a delete waits for a cancelled job to end before it gives up (and keeps the job's files).
CANCEL_WAIT_SECONDS = 600


# --- reading state --------------------------------------------------------------------------------


def _checkpoint(raw: dict[str, Any]) -> Checkpoint:
    metrics = raw.get("metrics") or {}
    return Checkpoint(
        id=str(raw.get("id")),
        step=int(raw.get("step_number") or metrics.get("step") or 0),
        metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, int | float)},
        fine_tuned_model_checkpoint=str(raw.get("fine_tuned_model_checkpoint") or ""),
    )


def _error_message(job: dict[str, Any]) -> str | None:
    error = job.get("error")
    if isinstance(error, dict) and (error.get("message") or error.get("code")):
        code = error.get("code")
        message = str(error.get("message") or "")
        return f"{code}: {message}" if code else message
    return None


def state_of(service: Service, job: dict[str, Any]) -> JobState:
    """The JobState of a job object, with its checkpoints (listed once the job has any to list)."""
    checkpoints: list[Checkpoint] = []
    if job.get("status") not in ("pending", "created", "validating_files", "queued"):
        try:
            checkpoints = sorted(
                (_checkpoint(c) for c in service.list_checkpoints(job["id"])), key=lambda c: c["step"]
            )
        except ServiceError:
            # Azure lists checkpoints only for some states; the next read gets them.
            checkpoints = []
    return JobState(
        job_id=str(job["id"]),
        status=str(job.get("status")),
        fine_tuned_model=job.get("fine_tuned_model"),
        trained_tokens=job.get("trained_tokens"),
        training_file_id=str(job.get("training_file")),
        validation_file_id=job.get("validation_file"),
        result_files=[str(f) for f in job.get("result_files") or []],
        checkpoints=checkpoints,
        error_message=_error_message(job),
        metadata=dict(job.get("metadata") or {}),
    )


def refresh(service: Service, job_id: str) -> JobState | None:
    """The job's current state, or None when the account no longer has it."""
    job = service.retrieve_job(job_id)
    return None if job is None else state_of(service, job)


# --- create ---------------------------------------------------------------------------------------


# How long a new account may refuse or not resolve before that counts: a fresh role assignment takes
# minutes to propagate, and so can a new custom subdomain's (or private zone's) DNS name.
READINESS_SECONDS = 600.0
READINESS_FIRST_DELAY_SECONDS = 5.0
READINESS_MAX_DELAY_SECONDS = 60.0


def await_readiness(service: Service, spec: JobSpec, rt: Runtime) -> dict[str, Any] | None:
    """The base model as the account describes it, retrying 401/403 (a role not yet in effect) and an
    unreachable name (DNS not yet resolving) with a progress line, for at most READINESS_SECONDS within
    the operation's bound; any other refusal, or the same one past the bound, is raised."""
    deadline = rt.clock() + min(READINESS_SECONDS, max(0.0, rt.remaining()))
    delay = READINESS_FIRST_DELAY_SECONDS
    while True:
        try:
            return service.retrieve_model(spec.azure_base_model)
        except ServiceError as error:
            not_ready = isinstance(error, ServiceUnreachableError) or error.status in (401, 403)
            if not not_ready or rt.clock() + delay > deadline:
                raise
            rt.progress(
                f"the account is not ready yet ({error}); a new role assignment or DNS name can take "
                f"minutes to take effect; retrying in {delay:.0f} s"
            )
            rt.sleep(delay)
            delay = min(delay * 2, READINESS_MAX_DELAY_SECONDS)


def ensure_trainable(service: Service, spec: JobSpec, rt: Runtime | None = None) -> None:
    """Raise ModelNotTrainableError, before anything is uploaded, when the account does not offer the
    base model for fine-tuning (the account's region decides which models it can fine-tune). Waits first,
    within bounds, for an account whose role assignments or DNS have not taken effect yet."""
    model = await_readiness(service, spec, rt or Runtime())
    if model is not None:
        if ((model.get("capabilities") or {}).get("fine_tune", True)) is not False:
            return
        listed = service.list_models()
    else:
        try:
            listed = service.list_models()
        except ServiceError:
            return  # The account cannot say; job creation will, with the service's own message.
        if not listed:
            return
    trainable = sorted(
        str(m.get("id"))
        for m in listed
        if (m.get("capabilities") or {}).get("fine_tune") and not m.get("fine_tune")
    )
    offered = ", ".join(trainable) if trainable else "none"
    raise ModelNotTrainableError(
        f"{spec.azure_base_model} cannot be fine-tuned on {service_endpoint(service, spec)}: the account "
        f"does not offer it for fine-tuning in its region; models it can fine-tune: {offered}"
    )


def service_endpoint(service: Service, spec: JobSpec) -> str:
    """The endpoint actually used (after overrides), for messages."""
    connection = getattr(service, "connection", None)
    return str(getattr(connection, "endpoint", spec.endpoint))


def _read_data(path: str, expected_sha256: str) -> bytes:
    """The file's bytes, refusing content that changed since the inputs were checked."""
    content = Path(path).read_bytes()
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256:
        raise DataChangedError(
            f"{path} changed since the inputs were computed (sha256 {actual[:12]}…, expected "
            f"{expected_sha256[:12]}…); run the preview again so the change is planned as a replacement"
        )
    return content


def upload_data(
    service: Service, spec: JobSpec, existing: dict[str, dict[str, Any]], rt: Runtime, held: list[str]
) -> UploadedFiles:
    """Upload the training and validation files, reusing those a previous attempt already uploaded;
    every file id held is appended to `held` as soon as it is known (for clean-up on failure)."""
    ids: list[str | None] = []
    for path, sha in (
        (spec.training_file, spec.training_file_sha256),
        (spec.validation_file, spec.validation_file_sha256),
    ):
        if path is None or sha is None:
            ids.append(None)
            continue
        name = data_filename(spec, sha)
        if name in existing:
            rt.progress(f"{path}: already uploaded as {existing[name]['id']}")
            ids.append(str(existing[name]["id"]))
            held.append(str(existing[name]["id"]))
            continue
        content = _read_data(path, sha)
        uploaded = upload_once(service, spec, Path(path), name, content, rt)
        held.append(str(uploaded["id"]))
        rt.progress(f"{path}: uploaded as {uploaded['id']} ({len(content)} bytes)")
        ids.append(str(uploaded["id"]))
    assert ids[0] is not None
    return UploadedFiles(training_file_id=ids[0], validation_file_id=ids[1])


def upload_once(
    service: Service, spec: JobSpec, path: Path, name: str, content: bytes, rt: Runtime
) -> dict[str, Any]:
    """Upload one file so that the account ends up with one copy: a refused (429) upload is sent again
    after the delay asked for; an unanswered one is looked for by name before it is sent again."""
    assert rt.pacing is not None
    intervals = rt.pacing.intervals()
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            return service.upload_file(path, name, content)
        except TRANSIENT as error:
            if attempt == SUBMIT_ATTEMPTS or rt.remaining() <= 0:
                raise
            if is_ambiguous(error):
                rt.progress(f"upload {path}: {error}; looking for it before uploading again")
                found = await_file(service, spec, name, rt)
                if found is not None:
                    rt.progress(f"{path}: the upload was stored despite: {error}")
                    return found
            else:
                delay = getattr(error, "retry_after", None) or next(intervals)
                rt.progress(f"upload {path}: {error}; uploading again in {delay:.1f} s")
                rt.pause(delay)
    raise AssertionError("unreachable")


def wait_for_files(service: Service, files: UploadedFiles, rt: Runtime) -> None:
    """Wait until every file is processed; FileProcessingError with the service's details otherwise."""
    assert rt.pacing is not None
    for file_id in files.ids():
        for interval in rt.pacing.intervals():
            try:
                file = service.retrieve_file(file_id)
            except TRANSIENT:
                file = {"status": "unknown"}
            status = file.get("status")
            if status == "processed":
                break
            if status in UNUSABLE_FILE_STATES:
                details = file.get("status_details") or "no details given"
                raise FileProcessingError(
                    f"file {file_id} ({file.get('filename')}) was not accepted: {details}"
                )
            if rt.remaining() <= 0:
                raise FileProcessingError(
                    f"file {file_id} is still {status} at the end of the wait bound; the uploads are "
                    "deleted; raise wait_timeout_seconds and run the update again"
                )
            rt.pause(interval)


def _creation_request(spec: JobSpec, files: UploadedFiles) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SDK arguments and the Azure-only extra body (`trainingType`) that create the job."""
    from ftstack.catalog import TrainingType

    body: dict[str, Any] = {
        "model": spec.azure_base_model,
        "training_file": files.training_file_id,
        "method": spec.method_body(),
        "metadata": job_metadata(spec),
    }
    if files.validation_file_id:
        body["validation_file"] = files.validation_file_id
    if spec.seed is not None:
        body["seed"] = spec.seed
    if spec.suffix:
        body["suffix"] = spec.suffix
    return body, {"trainingType": TrainingType(spec.training_type).azure_value}


def submit_job(service: Service, spec: JobSpec, files: UploadedFiles, rt: Runtime) -> dict[str, Any]:
    """Create the job once: a refused (429/409) create is sent again after the delay asked for; after an
    ambiguous one (no answer, 5xx) the job is looked for with backoff over the adoption window before
    anything is sent again, so a late-processed request never makes a second job."""
    body, extra = _creation_request(spec, files)
    assert rt.pacing is not None
    intervals = rt.pacing.intervals()
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            job = service.create_job(body, extra)
            rt.progress(f"submitted fine-tuning job {job['id']} ({spec.azure_base_model}, {spec.method})")
            return job
        except TRANSIENT as error:
            if is_ambiguous(error):
                rt.progress(f"create fine-tuning job: {error}; looking for it before submitting again")
                adopted = await_job(service, spec, set(files.ids()), rt, error)
                if adopted is not None:
                    rt.progress(f"job {adopted['id']} was created despite: {error}; adopting it")
                    return adopted
            else:
                delay = getattr(error, "retry_after", None) or next(intervals)
                rt.progress(f"create fine-tuning job: {error}; submitting again in {delay:.1f} s")
                rt.pause(delay)
            if attempt == SUBMIT_ATTEMPTS or rt.remaining() <= 0:
                raise
    raise AssertionError("unreachable")


def wait_for_job(
    service: Service, job: dict[str, Any], rt: Runtime, spec: JobSpec | None = None
) -> dict[str, Any]:
    """Poll the job until it ends or the bound passes (WaitTimeoutError), logging status and events;
    with `spec`, each poll also cancels any duplicate of it and deletes extra copies of its data (see
    `adoption.reconcile`)."""
    assert rt.pacing is not None
    job_id = str(job["id"])
    status = str(job.get("status"))
    seen_events: set[str] = set()
    for interval in rt.pacing.intervals():
        if status not in ACTIVE_STATES:
            return job
        if rt.remaining() <= 0:
            raise WaitTimeoutError(job_id, status, rt.elapsed())
        rt.pause(interval)
        try:
            latest = service.retrieve_job(job_id)
            events = service.list_events(job_id, limit=5) if status == "running" else []
        except TRANSIENT as error:
            rt.progress(f"job {job_id}: {error}; polling again")
            continue
        if latest is None:
            raise JobFailedError(job_id, "deleted", "the job disappeared from the account while running")
        if spec is not None:
            reconcile(service, spec, latest, rt)
        if latest.get("status") != status:
            rt.progress(f"job {job_id}: {status} -> {latest.get('status')}")
        for event in reversed(events):
            if event.get("id") not in seen_events:
                seen_events.add(str(event.get("id")))
                rt.progress(f"job {job_id}: {event.get('message')}")
        job, status = latest, str(latest.get("status"))
    raise AssertionError("unreachable")


def create(service: Service, spec: JobSpec, rt: Runtime | None = None) -> JobState:
    """Run a create to the end: preflight, adopt or upload and submit, then (with `wait`) wait within the
    bound. Uploads are cleaned up only when the failure is definite, or a job list proves no job exists;
    otherwise the error says the job may exist and a re-run adopts it."""
    rt = rt or Runtime()
    rt.start(spec.wait_timeout_seconds)
    ensure_trainable(service, spec, rt)
    mine = own_files(service, spec)
    existing = files_by_name(mine)
    mine_ids = {str(f["id"]) for f in mine}
    adopted = find_adoptable_job(service, spec, mine_ids)
    training_name = data_filename(spec, spec.training_file_sha256)
    if adopted is None and training_name in existing:
        # An earlier attempt uploaded the data and may have died (or lost an answer) while its create was
        # in flight: give that create the adoption window to show up before submitting another. A job of
        # this key that ended without a model proves nothing: the attempt that replaces it reuses its
        # uploads, and may itself have died with a create in flight.
        rt.progress("found the uploads of an earlier attempt; looking for the job it may have submitted")
        cause = JobMayExistError(spec.resource_name, RuntimeError("an earlier attempt did not finish"))
        adopted = await_job(service, spec, mine_ids, rt, cause)
    if adopted is not None:
        rt.progress(
            f"adopting job {adopted['id']} ({adopted.get('status')}), submitted by an earlier attempt"
        )
        job = adopted
        files = UploadedFiles(str(adopted.get("training_file")), adopted.get("validation_file"))
    else:
        held: list[str] = []
        try:
            files = upload_data(service, spec, existing, rt, held)
            wait_for_files(service, files, rt)
            job = submit_job(service, spec, files, rt)
        except Exception as error:
            _after_failed_create(service, spec, held, rt, error)
            raise
    reconcile(service, spec, job, rt)
    if spec.wait:
        job = wait_for_job(service, job, rt, spec)
    state = state_of(service, job)
    if state.status in ENDED_WITHOUT_MODEL:
        delete_unused_files(service, files.ids(), rt)
        raise JobFailedError(state.job_id, state.status, state.error_message or "the service gave no reason")
    return state


def _definite(error: Exception) -> bool:
    """True when the failure leaves no job behind for certain: the service refused the request, a file
    was rejected or never processed, or the data changed before upload."""
    if isinstance(error, FileProcessingError | DataChangedError | ModelNotTrainableError):
        return True
    return (
        isinstance(error, ServiceError)
        and not isinstance(error, RetryableServiceError)
        and error.status is not None
    )


def _after_failed_create(
    service: Service, spec: JobSpec, held: list[str], rt: Runtime, error: Exception
) -> None:
    """Clean up after a create that failed before it had a job, when the failure is definite or a
    successful job list proves no job of this key exists; otherwise keep the files and say why (the
    JobMayExistError raised from here replaces an error that would not say so)."""
    if not _definite(error):
        try:
            exists = find_adoptable_job(service, spec, set(held)) is not None
        except TRANSIENT:
            exists = True
        if exists:
            rt.progress(f"keeping the uploads: {error}; the job may exist; run again to adopt it")
            if not isinstance(error, JobMayExistError):
                raise JobMayExistError(spec.resource_name, error) from error
            return
    try:
        leftovers = [str(f["id"]) for f in own_files(service, spec)]
    except TRANSIENT:
        leftovers = []
    delete_unused_files(service, [*held, *leftovers], rt)


def wait_more(service: Service, spec: JobSpec, job_id: str, rt: Runtime | None = None) -> JobState | None:
    """Refresh a job and, when the spec waits and the job is still active, wait for it within the bound."""
    rt = rt or Runtime()
    rt.start(spec.wait_timeout_seconds)
    job = service.retrieve_job(job_id)
    if job is None:
        return None
    if spec.wait:
        job = wait_for_job(service, job, rt, spec)
    state = state_of(service, job)
    if state.status in ENDED_WITHOUT_MODEL:
        rt.progress(f"job {job_id} {state.status}: {state.error_message}; the next update trains it again")
    return state


def cancel_and_clean(
    service: Service, spec: JobSpec, job_id: str | None, file_ids: list[str], rt: Runtime | None = None
) -> None:
    """Cancel the job if it is still active and wait until it has ended, then delete its data files and
    any leftovers of its key, except files that a job which has not ended uses (a replacement with the
    same inputs, say). StillActiveError, keeping the files, when the job has not ended within the bound;
    CleanupIncompleteError when files no live job uses could not be deleted (a re-run deletes them)."""
    rt = rt or Runtime()
    rt.start(min(spec.wait_timeout_seconds, CANCEL_WAIT_SECONDS))
    if job_id:
        job = service.retrieve_job(job_id)
        if job is not None and job.get("status") in ACTIVE_STATES:
            try:
                service.cancel_job(job_id)
                rt.progress(f"cancelled job {job_id} (was {job.get('status')})")
            except ServiceError as error:
                # A job that ended between the read and the cancel is fine; anything else is not.
                latest = service.retrieve_job(job_id)
                if latest is not None and latest.get("status") in ACTIVE_STATES:
                    raise
                rt.progress(f"job {job_id} ended before it could be cancelled: {error}")
            _await_end(service, job_id, rt)
    leftovers = [str(f["id"]) for f in own_files(service, spec)]
    left = delete_unused_files(service, list(dict.fromkeys([*file_ids, *leftovers])), rt)
    if left:
        raise CleanupIncompleteError(spec.resource_name, left)


def _await_end(service: Service, job_id: str, rt: Runtime) -> None:
    """Wait until a cancelled job has ended (a service may take a while to stop it): its files are
    deleted only then, or they would be kept as in use and outlive the resource."""
    assert rt.pacing is not None
    for interval in rt.pacing.intervals():
        try:
            job = service.retrieve_job(job_id)
        except TRANSIENT:
            job = {"status": "unknown"}
        if job is None or job.get("status") not in ACTIVE_STATES | {"unknown"}:
            return
        if rt.remaining() <= 0:
            raise StillActiveError(job_id, str(job.get("status")), rt.elapsed())
        rt.pause(interval)
