"""The REST calls the local Azure provider makes: PUT, GET and DELETE of ARM resources on the local Azure server.

Transient answers (429, 5xx, a dropped connection) are retried a few times, honouring Retry-After; an ARM error
becomes an ArmError whose text reads like azure-native's (`Status=409 Code="RequestConflict" Message="..."`).
A write that answers with a provisioning state still in progress is polled until it settles, as ARM clients do.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

TRANSIENT_RETRIES = 3
_TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled", "cancelled", "deleted"})
_MAX_RETRY_AFTER_SECONDS = 10.0
_POLL_SECONDS = 0.5
# How long a write may stay in progress when the engine gives no timeout.
_DEFAULT_WAIT_SECONDS = 600.0


class ArmError(Exception):
    """An error answer from ARM (or the failure to get one), with ARM's status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f'Status={status} Code="{code}" Message="{message}"')


@dataclass(frozen=True)
class ArmResponse:
    """One answer: its status and JSON body (None when absent)."""

    status: int
    body: dict[str, Any] | None


class ArmClient:
    """Talks to `{base_url}/arm{resourceId}` with a bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        backoff_seconds: float = 0.5,
        cancelled: threading.Event | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(60.0, connect=10.0),
            transport=transport,
        )
        self._backoff = backoff_seconds
        self._cancelled = cancelled or threading.Event()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def put(
        self, resource_id: str, api_version: str, body: dict[str, Any], timeout: float = 0
    ) -> dict[str, Any]:
        """PUT the resource; its state once provisioning settles (ArmError if it fails)."""
        answer = self._send("PUT", resource_id, api_version, body)
        resource = answer.body or {}
        if answer.status == 202 or _in_progress(resource):
            resource = self._settle(resource_id, api_version, timeout)
        if _state(resource) == "failed":
            raise ArmError(
                200,
                "ResourceProvisioningFailed",
                f"the resource {resource_id} ended in provisioning state Failed",
            )
        return resource

    def get(self, resource_id: str, api_version: str) -> dict[str, Any] | None:
        """The resource, or None when ARM answers 404."""
        answer = self._send("GET", resource_id, api_version, None, missing_ok=True)
        return None if answer.status == 404 else (answer.body or {})

    def delete(self, resource_id: str, api_version: str, timeout: float = 0) -> None:
        """DELETE the resource; a resource already gone is fine. Waits while ARM answers 202."""
        answer = self._send("DELETE", resource_id, api_version, None, missing_ok=True)
        if answer.status != 202:
            return
        deadline = time.monotonic() + (timeout or _DEFAULT_WAIT_SECONDS)
        while time.monotonic() < deadline and not self._cancelled.is_set():
            if self.get(resource_id, api_version) is None:
                return
            time.sleep(_POLL_SECONDS)
        raise ArmError(
            408, "DeleteTimeout", f"the resource {resource_id} was still being deleted at the deadline"
        )

    def _settle(self, resource_id: str, api_version: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or _DEFAULT_WAIT_SECONDS)
        while True:
            resource = self.get(resource_id, api_version)
            if resource is None:
                raise ArmError(
                    404, "ResourceNotFound", f"the resource {resource_id} disappeared while provisioning"
                )
            if not _in_progress(resource):
                return resource
            if time.monotonic() >= deadline or self._cancelled.is_set():
                raise ArmError(
                    408,
                    "OperationTimeout",
                    f"the resource {resource_id} was still {_state(resource)} at the deadline",
                )
            time.sleep(_POLL_SECONDS)

    def _send(
        self,
        method: str,
        resource_id: str,
        api_version: str,
        body: dict[str, Any] | None,
        *,
        missing_ok: bool = False,
    ) -> ArmResponse:
        url = "/arm" + resource_id
        params = {"api-version": api_version}
        attempt = 0
        while True:
            try:
                response = self._client.request(method, url, params=params, json=body)
            except httpx.TransportError as exc:
                if attempt >= TRANSIENT_RETRIES or self._cancelled.is_set():
                    raise ArmError(
                        0,
                        "ConnectionFailed",
                        f"{method} {self._client.base_url}{url}: {exc or type(exc).__name__}",
                    ) from exc
                self._wait(attempt, None)
                attempt += 1
                continue
            transient = response.status_code == 429 or response.status_code >= 500
            if transient and attempt < TRANSIENT_RETRIES and not self._cancelled.is_set():
                self._wait(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if response.status_code == 404 and missing_ok:
                return ArmResponse(404, None)
            if response.status_code >= 400:
                raise _error_from(response)
            return ArmResponse(response.status_code, _json_object(response))

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self._backoff * (2**attempt)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = min(float(retry_after), _MAX_RETRY_AFTER_SECONDS)
        self._cancelled.wait(delay)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    if not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error_from(response: httpx.Response) -> ArmError:
    body = _json_object(response) or {}
    nested = body.get("error")
    error: dict[str, Any] = nested if isinstance(nested, dict) else body
    code = str(error.get("code") or response.reason_phrase or "Unknown")
    message = str(error.get("message") or response.text or f"HTTP {response.status_code}")
    return ArmError(response.status_code, code, message)


def _state(resource: dict[str, Any]) -> str:
    properties = resource.get("properties")
    state = properties.get("provisioningState") if isinstance(properties, dict) else None
    return str(state or "Succeeded").lower()


def _in_progress(resource: dict[str, Any]) -> bool:
    return _state(resource) not in _TERMINAL_STATES
