"""The one place that talks to the `openai` SDK: an Azure OpenAI data-plane client with Entra ID tokens.

Credentials are resolved when a client is opened (inside a provider method), never stored: a static bearer
token from `FTSTACK_TOKEN` (or its deprecated alias `FTSTACK_FINE_TUNING_TOKEN`: the emulator, or a token
you fetched yourself), else Entra ID for the Cognitive Services scope (`credentials.credential_from_environment`:
fresh GitHub OIDC assertions in GitHub Actions, else `DefaultAzureCredential`). `FTSTACK_FINE_TUNING_ENDPOINT`
overrides the account endpoint the resource was given (to point a stack at the emulator).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai

from ftstack.credential_transport import require_https_for_entra
from ftstack.data_plane import TOKEN_ENV as TOKEN_ENV  # FTSTACK_TOKEN (FTSTACK_FINE_TUNING_TOKEN: an alias)
from ftstack.data_plane import env_token
from ftstack.fine_tuning.errors import RetryableServiceError, ServiceError, ServiceUnreachableError

ENDPOINT_ENV = "FTSTACK_FINE_TUNING_ENDPOINT"
API_VERSION_ENV = "FTSTACK_FINE_TUNING_API_VERSION"
# Seconds one request may take (default 120); the emulator's tests shorten it.
TIMEOUT_ENV = "FTSTACK_FINE_TUNING_TIMEOUT"
DEFAULT_API_VERSION = "2025-04-01-preview"
V1 = "v1"
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
# The SDK retries 429, 408, 409 and 5xx with backoff and honours Retry-After (up to two minutes).
DEFAULT_MAX_RETRIES = 5
REQUEST_TIMEOUT_SECONDS = 120.0

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one account's data plane; holds no secret, only where to find one."""

    endpoint: str
    api_version: str = DEFAULT_API_VERSION
    max_retries: int = DEFAULT_MAX_RETRIES
    # Seconds one request may take; also how long the lifecycle looks for a create whose answer was lost.
    timeout: float = REQUEST_TIMEOUT_SECONDS

    @classmethod
    def for_endpoint(cls, endpoint: str) -> Connection:
        """The connection for `endpoint`, after the environment's endpoint, API-version and timeout
        overrides."""
        timeout = os.environ.get(TIMEOUT_ENV, "").strip()
        return cls(
            endpoint=(os.environ.get(ENDPOINT_ENV) or endpoint).rstrip("/"),
            api_version=os.environ.get(API_VERSION_ENV) or DEFAULT_API_VERSION,
            timeout=float(timeout) if timeout else REQUEST_TIMEOUT_SECONDS,
        )


def _token_provider(endpoint: str) -> Callable[[], str]:
    """A bearer-token callable: the static token from the environment, else Entra ID via azure-identity
    (only for an https endpoint: a real Azure token never goes over plain http)."""
    static = env_token()
    if static:
        return lambda: static
    require_https_for_entra(endpoint)
    from azure.identity import get_bearer_token_provider

    from ftstack.fine_tuning.credentials import credential_from_environment

    provider: Callable[[], str] = get_bearer_token_provider(
        credential_from_environment(), COGNITIVE_SERVICES_SCOPE
    )
    return provider


def _open_sdk(connection: Connection) -> openai.OpenAI:
    """The SDK client for `connection`: the `/openai/v1` surface, or the versioned `/openai` surface."""
    tokens = _token_provider(connection.endpoint)
    timeout = openai.Timeout(connection.timeout, connect=min(10.0, connection.timeout))
    if connection.api_version == V1:
        return openai.OpenAI(
            base_url=f"{connection.endpoint}/openai/v1/",
            api_key=tokens,
            max_retries=connection.max_retries,
            timeout=timeout,
        )
    return openai.AzureOpenAI(
        azure_endpoint=connection.endpoint,
        api_version=connection.api_version,
        azure_ad_token_provider=tokens,
        max_retries=connection.max_retries,
        timeout=timeout,
    )


def _retry_after(error: openai.APIStatusError) -> float | None:
    """The server's Retry-After delay in seconds, when it sent one."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = error.response.headers.get(header)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    return None


def _service_error(operation: str, error: openai.OpenAIError) -> ServiceError:
    """The ServiceError for an SDK error, carrying the service's own code and message."""
    if isinstance(error, openai.APIStatusError):
        body: dict[str, Any] = error.body if isinstance(error.body, dict) else {}
        nested = body.get("error")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else body
        message = str(inner.get("message") or error.message)
        code = inner.get("code")
        status = error.status_code
        if status in (408, 409, 429) or status >= 500:
            return RetryableServiceError(operation, status, code, message, _retry_after(error))
        return ServiceError(operation, status, str(code) if code else None, message)
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error
        return ServiceUnreachableError(operation, None, None, f"{error.message} ({cause.__class__.__name__})")
    return ServiceError(operation, None, None, str(error))


def _as_dict(obj: Any) -> dict[str, Any]:
    """An SDK object as a plain dict, keeping fields the SDK's types do not declare (Azure's extras)."""
    if isinstance(obj, dict):
        return obj
    data: dict[str, Any] = obj.to_dict()
    return data


class FineTuningClient:
    """Typed calls to the files, fine-tuning jobs and models endpoints; errors become ServiceError."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._sdk = _open_sdk(connection)

    @property
    def request_timeout(self) -> float:
        """Seconds one request may take before the client gives up on its answer."""
        return self.connection.timeout

    def close(self) -> None:
        """Release the HTTP connections."""
        self._sdk.close()

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except openai.OpenAIError as error:
            raise _service_error(operation, error) from error

    # --- models ---

    def retrieve_model(self, model_id: str) -> dict[str, Any] | None:
        """The model object for `model_id`, or None when the account does not list it."""
        try:
            return _as_dict(self._sdk.models.retrieve(model_id))
        except openai.NotFoundError:
            return None
        except openai.OpenAIError as error:
            raise _service_error(f"GET model {model_id}", error) from error

    def list_models(self) -> list[dict[str, Any]]:
        """Every model the account lists (base models and succeeded fine-tuned models)."""
        return self._call("list models", lambda: [_as_dict(m) for m in self._sdk.models.list()])

    # --- files ---

    def upload_file(self, path: Path, filename: str, content: bytes) -> dict[str, Any]:
        """Upload `content` for fine-tuning under `filename` exactly once (no client-side retry: an upload
        whose answer was lost may have been stored, and the caller looks for it by name); returns the
        file object (status pending)."""
        once = self._sdk.with_options(max_retries=0)
        return self._call(
            f"upload {path}",
            lambda: _as_dict(once.files.create(file=(filename, content), purpose="fine-tune")),
        )

    def list_files(self) -> list[dict[str, Any]]:
        """Every fine-tuning file on the account."""
        return self._call(
            "list files", lambda: [_as_dict(f) for f in self._sdk.files.list(purpose="fine-tune")]
        )

    def retrieve_file(self, file_id: str) -> dict[str, Any]:
        """The file object for `file_id`."""
        return self._call(f"GET file {file_id}", lambda: _as_dict(self._sdk.files.retrieve(file_id)))

    def delete_file(self, file_id: str) -> bool:
        """Delete `file_id`; True if it existed."""
        try:
            self._sdk.files.delete(file_id)
        except openai.NotFoundError:
            return False
        except openai.OpenAIError as error:
            raise _service_error(f"DELETE file {file_id}", error) from error
        return True

    # --- jobs ---

    def create_job(self, body: dict[str, Any], extra_body: dict[str, Any]) -> dict[str, Any]:
        """Submit a job exactly once (no client-side retry: the caller adopts or retries it)."""
        once = self._sdk.with_options(max_retries=0)
        return self._call(
            "create fine-tuning job",
            lambda: _as_dict(once.fine_tuning.jobs.create(**body, extra_body=extra_body)),
        )

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every fine-tuning job on the account, newest first, across pages."""
        return self._call(
            "list fine-tuning jobs", lambda: [_as_dict(j) for j in self._sdk.fine_tuning.jobs.list()]
        )

    def retrieve_job(self, job_id: str) -> dict[str, Any] | None:
        """The job object for `job_id`, or None when the account has no such job."""
        try:
            return _as_dict(self._sdk.fine_tuning.jobs.retrieve(job_id))
        except openai.NotFoundError:
            return None
        except openai.OpenAIError as error:
            raise _service_error(f"GET fine-tuning job {job_id}", error) from error

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """Ask the service to cancel `job_id`; returns the job."""
        return self._call(
            f"cancel fine-tuning job {job_id}", lambda: _as_dict(self._sdk.fine_tuning.jobs.cancel(job_id))
        )

    def list_checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        """Every checkpoint of `job_id`, across pages."""
        return self._call(
            f"list checkpoints of {job_id}",
            lambda: [_as_dict(c) for c in self._sdk.fine_tuning.jobs.checkpoints.list(job_id, limit=100)],
        )

    def list_events(self, job_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The newest `limit` events of `job_id` (one page)."""
        return self._call(
            f"list events of {job_id}",
            lambda: [_as_dict(e) for e in self._sdk.fine_tuning.jobs.list_events(job_id, limit=limit).data],
        )


@contextmanager
def open_client(endpoint: str) -> Iterator[FineTuningClient]:
    """A client for `endpoint` (after the environment's overrides), closed on exit."""
    client = FineTuningClient(Connection.for_endpoint(endpoint))
    try:
        yield client
    finally:
        client.close()
