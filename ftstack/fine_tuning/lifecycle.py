"""A fine-tuning job's lifecycle against the service: preflight, upload, adopt, create, wait, read, delete.

Everything here is idempotent by content: data files are named after the job's adoption key and their
sha256, and jobs carry the key in their metadata, so a create retried after the process died finds
the files and the job it already made instead of paying twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ftstack.fine_tuning.errors import (
    DataChangedError,
    FileProcessingError,
    JobFailedError,
    ModelNotTrainableError,
    RetryableServiceError,
    ServiceError,
    ServiceUnreachableError,
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

KEY_TAG = "ftstack-key"
RESOURCE_TAG = "ftstack-resource"
FILE_PREFIX = "ftstack-"
TRANSIENT = (RetryableServiceError, ServiceUnreachableError)
SUBMIT_ATTEMPTS = 5
UNUSABLE_FILE_STATES = frozenset({"error", "deleted", "deleting"})


class Service(Protocol):
    """The calls the lifecycle needs (FineTuningClient implements them over HTTP)."""

    def retrieve_model(self, model_id: str) -> dict[str, Any] | None: ...
    def list_models(self) -> list[dict[str, Any]]: ...
    def upload_file(self, path: Path, filename: str, content: bytes) -> dict[str, Any]: ...
    def list_files(self) -> list[dict[str, Any]]: ...
    def retrieve_file(self, file_id: str) -> dict[str, Any]: ...
    def delete_file(self, file_id: str) -> bool: ...
    def create_job(self, body: dict[str, Any], extra_body: dict[str, Any]) -> dict[str, Any]: ...
    def list_jobs(self) -> list[dict[str, Any]]: ...
    def retrieve_job(self, job_id: str) -> dict[str, Any] | None: ...
    def cancel_job(self, job_id: str) -> dict[str, Any]: ...
    def list_checkpoints(self, job_id: str) -> list[dict[str, Any]]: ...
    def list_events(self, job_id: str, limit: int = 20) -> list[dict[str, Any]]: ...


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Pacing:
    """How polls are spaced: the first interval, its growth per poll, and the longest interval."""

    first: float = 0.5
    factor: float = 1.5
    longest: float = 30.0

    @classmethod
    def for_bound(cls, bound_seconds: float) -> Pacing:
        """Pacing for a wait bound: about twenty polls fit in the bound, never more than 30 s apart."""
        return cls(longest=max(0.5, min(30.0, bound_seconds / 20)))

    def intervals(self) -> Iterator[float]:
        """Successive poll intervals, growing to the longest."""
        interval = self.first
        while True:
            yield interval
            interval = min(self.longest, interval * self.factor)


@dataclass
class Runtime:
    """Time and reporting for one operation: a monotonic clock, sleep, and a progress sink."""

    progress: Callable[[str], None] = _quiet
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    pacing: Pacing | None = None
    _started: float = field(default=0.0, init=False)
    _deadline: float = field(default=0.0, init=False)

    def start(self, bound_seconds: float) -> None:
        """Start the bound: every wait in this operation ends by `bound_seconds` from now."""
        self._started = self.clock()
        self._deadline = self._started + bound_seconds
        if self.pacing is None:
            self.pacing = Pacing.for_bound(bound_seconds)

    def elapsed(self) -> float:
        """Seconds since the bound started."""
        return self.clock() - self._started

    def remaining(self) -> float:
        """Seconds left before the bound."""
        return self._deadline - self.clock()

    def pause(self, seconds: float) -> None:
        """Sleep `seconds`, but never past the bound."""
        self.sleep(max(0.0, min(seconds, self.remaining())))


# --- naming ---------------------------------------------------------------------------------------


def data_filename(spec: JobSpec, sha256: str) -> str:
    """The name a data file is uploaded under: the job's adoption key and the content's sha256."""
    return f"{FILE_PREFIX}{spec.adoption_key[:16]}-{sha256}.jsonl"


def job_metadata(spec: JobSpec) -> dict[str, str]:
    """The metadata tags a job is created with, so a retried create can recognise it."""
    return {KEY_TAG: spec.adoption_key, RESOURCE_TAG: spec.resource_name[:512]}


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


def ensure_trainable(service: Service, spec: JobSpec) -> None:
    """Raise ModelNotTrainableError, before anything is uploaded, when the account does not offer the
    base model for fine-tuning (the account's region decides which models it can fine-tune)."""
    model = service.retrieve_model(spec.azure_base_model)
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


def _own_files(service: Service, spec: JobSpec) -> dict[str, dict[str, Any]]:
    """This job's usable files already on the account, by filename."""
    prefix = f"{FILE_PREFIX}{spec.adoption_key[:16]}-"
    return {
        str(f.get("filename")): f
        for f in service.list_files()
        if str(f.get("filename", "")).startswith(prefix) and f.get("status") not in UNUSABLE_FILE_STATES
    }


def find_adoptable_job(service: Service, spec: JobSpec, own_file_ids: set[str]) -> dict[str, Any] | None:
    """The job a previous create of this same resource and inputs already submitted, unless it failed
    or was cancelled: tagged with the adoption key, or training on this job's own uploaded file."""
    for job in service.list_jobs():
        if job.get("status") in ENDED_WITHOUT_MODEL:
            continue
        tagged = (job.get("metadata") or {}).get(KEY_TAG) == spec.adoption_key
        if tagged or job.get("training_file") in own_file_ids:
            return job
    return None


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
        uploaded = service.upload_file(Path(path), name, content)
        held.append(str(uploaded["id"]))
        rt.progress(f"{path}: uploaded as {uploaded['id']} ({len(content)} bytes)")
        ids.append(str(uploaded["id"]))
    assert ids[0] is not None
    return UploadedFiles(training_file_id=ids[0], validation_file_id=ids[1])


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
    """Create the job once: after an ambiguous failure (no answer, 429 or 5xx) look for it by its key
    before trying again, so a lost response never makes a second job."""
    body, extra = _creation_request(spec, files)
    assert rt.pacing is not None
    intervals = rt.pacing.intervals()
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            job = service.create_job(body, extra)
            rt.progress(f"submitted fine-tuning job {job['id']} ({spec.azure_base_model}, {spec.method})")
            return job
        except TRANSIENT as error:
            # Look only after the pause: a request the service accepted late is listed by then.
            delay = getattr(error, "retry_after", None) or next(intervals)
            rt.progress(f"create fine-tuning job: {error}; looking for it, then retrying, in {delay:.1f} s")
            rt.pause(delay)
            adopted = find_adoptable_job(service, spec, {files.training_file_id})
            if adopted is not None:
                rt.progress(f"job {adopted['id']} was created despite: {error}; adopting it")
                return adopted
            if attempt == SUBMIT_ATTEMPTS or rt.remaining() <= 0:
                raise
    raise AssertionError("unreachable")


def wait_for_job(service: Service, job: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """Poll the job until it ends or the bound passes (WaitTimeoutError), logging status and events."""
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
        if latest.get("status") != status:
            rt.progress(f"job {job_id}: {status} -> {latest.get('status')}")
        for event in reversed(events):
            if event.get("id") not in seen_events:
                seen_events.add(str(event.get("id")))
                rt.progress(f"job {job_id}: {event.get('message')}")
        job, status = latest, str(latest.get("status"))
    raise AssertionError("unreachable")


def delete_files(service: Service, file_ids: list[str], rt: Runtime) -> None:
    """Delete the given files, ignoring those already gone."""
    for file_id in file_ids:
        try:
            service.delete_file(file_id)
            rt.progress(f"deleted file {file_id}")
        except ServiceError as error:
            rt.progress(f"could not delete file {file_id}: {error}")


def _clean_up(service: Service, spec: JobSpec, held: list[str], rt: Runtime) -> None:
    """Delete every file of this job's key when no job exists: this attempt's uploads, earlier leftovers,
    and any copy a retried upload left; never hides the error that led here."""
    try:
        leftovers = [str(f["id"]) for f in _own_files(service, spec).values()]
    except ServiceError:
        leftovers = []
    delete_files(service, list(dict.fromkeys([*held, *leftovers])), rt)


def create(service: Service, spec: JobSpec, rt: Runtime | None = None) -> JobState:
    """Run a create to the end: preflight, adopt or upload and submit, then (with `wait`) wait within the
    bound. On any failure before the job exists, or when it fails, the uploaded files are deleted."""
    rt = rt or Runtime()
    rt.start(spec.wait_timeout_seconds)
    ensure_trainable(service, spec)
    existing = _own_files(service, spec)
    adopted = find_adoptable_job(service, spec, {str(f["id"]) for f in existing.values()})
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
        except Exception:
            _clean_up(service, spec, held, rt)
            raise
    if spec.wait:
        job = wait_for_job(service, job, rt)
    state = state_of(service, job)
    if state.status in ENDED_WITHOUT_MODEL:
        delete_files(service, files.ids(), rt)
        raise JobFailedError(state.job_id, state.status, state.error_message or "the service gave no reason")
    return state


def wait_more(service: Service, spec: JobSpec, job_id: str, rt: Runtime | None = None) -> JobState | None:
    """Refresh a job and, when the spec waits and the job is still active, wait for it within the bound."""
    rt = rt or Runtime()
    rt.start(spec.wait_timeout_seconds)
    job = service.retrieve_job(job_id)
    if job is None:
        return None
    if spec.wait:
        job = wait_for_job(service, job, rt)
    state = state_of(service, job)
    if state.status in ENDED_WITHOUT_MODEL:
        rt.progress(f"job {job_id} {state.status}: {state.error_message}; the next update trains it again")
    return state


def cancel_and_clean(
    service: Service, spec: JobSpec, job_id: str | None, file_ids: list[str], rt: Runtime | None = None
) -> None:
    """Cancel the job if it is still active, then delete its data files (and any leftovers of its key)."""
    rt = rt or Runtime()
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
    leftovers = [str(f["id"]) for f in _own_files(service, spec).values()]
    delete_files(service, list(dict.fromkeys([*file_ids, *leftovers])), rt)
