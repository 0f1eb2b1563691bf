"""Errors of the fine-tuning lifecycle, each message naming the job or file and what would work."""

from __future__ import annotations


class FineTuningError(RuntimeError):
    """Base of every fine-tuning failure the provider reports to the user."""


class ServiceError(FineTuningError):
    """The service refused a request; carries its HTTP status, error code and message."""

    def __init__(self, operation: str, status: int | None, code: str | None, message: str):
        self.operation = operation
        self.status = status
        self.code = code
        self.service_message = message
        where = f"HTTP {status}" if status is not None else "no response"
        label = f"{code}: " if code else ""
        super().__init__(f"{operation} failed ({where}): {label}{message}")


class RetryableServiceError(ServiceError):
    """A 408/409/429/5xx answer: the request may succeed later (after `retry_after` seconds when given)."""

    def __init__(
        self, operation: str, status: int | None, code: str | None, message: str, retry_after: float | None
    ):
        super().__init__(operation, status, code, message)
        self.retry_after = retry_after


class ServiceUnreachableError(ServiceError):
    """No answer from the service (connection refused, dropped or timed out) after the client's retries."""


class ModelNotTrainableError(FineTuningError):
    """The account does not offer the base model for fine-tuning (checked before anything is uploaded)."""


class FileProcessingError(FineTuningError):
    """An uploaded data file ended in the `error` state, or was not processed within the wait bound."""


class DataChangedError(FineTuningError):
    """A data file's content no longer matches the sha256 recorded in the resource's inputs."""


class JobFailedError(FineTuningError):
    """The job ended failed or cancelled; the message is the service's."""

    def __init__(self, job_id: str, status: str, message: str):
        self.job_id = job_id
        self.status = status
        self.service_message = message
        super().__init__(f"fine-tuning job {job_id} {status}: {message}")


class WaitTimeoutError(FineTuningError):
    """The job did not reach a terminal state within the wait bound; a re-run adopts it."""

    def __init__(self, job_id: str, status: str, waited_seconds: float):
        self.job_id = job_id
        self.status = status
        super().__init__(
            f"fine-tuning job {job_id} is still {status} after {waited_seconds:.0f} s (the wait bound); "
            "it keeps running: run the update again to adopt it and keep waiting, raise "
            "wait_timeout_seconds, or set wait to false to return while it trains"
        )


class JobMayExistError(FineTuningError):
    """A create went unanswered and the account could not be asked whether the job exists: nothing is
    cleaned up (the files may be training), and a re-run adopts the job if it is there."""

    def __init__(self, resource_name: str, cause: Exception):
        self.cause = cause
        super().__init__(
            f"{resource_name}: {cause}; the job may exist and its data files are kept; run the update "
            "again to adopt it (or to submit it if it was never created)"
        )


class StillActiveError(FineTuningError):
    """A cancelled job had not ended within the delete's bound; its files are kept and a re-run deletes
    them once it has."""

    def __init__(self, job_id: str, status: str, waited_seconds: float):
        self.job_id = job_id
        self.status = status
        super().__init__(
            f"fine-tuning job {job_id} is still {status} {waited_seconds:.0f} s after it was cancelled; its "
            "data files are kept while it may still read them; run the delete (destroy) again once it has ended"
        )


class CleanupIncompleteError(FineTuningError):
    """A delete could not remove data files that no live job uses (the job list or a delete failed); a
    re-run deletes them, so they do not outlive the resource against the account's file quota."""

    def __init__(self, resource_name: str, file_ids: list[str]):
        self.file_ids = file_ids
        super().__init__(
            f"{resource_name}: could not delete data files {', '.join(file_ids)} (see the log above); they "
            "are kept; run the delete (destroy) again to remove them"
        )
