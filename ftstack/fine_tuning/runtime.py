"""What one provider operation runs with: the service calls it needs (a Protocol the HTTP client
implements), a monotonic clock, sleep, poll pacing, the adoption window and a progress sink."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# How long an answer may be lost before the request it answered could still be processed: the client's
# own request timeout (FineTuningClient.request_timeout) unless the runtime sets a window.
DEFAULT_ADOPTION_WINDOW_SECONDS = 120.0


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
    """Time and reporting for one operation: a monotonic clock, sleep, pacing, and a progress sink.

    `adoption_window`: how long to keep looking for a job or file whose create went unanswered before
    concluding that the service never processed it (None: the service's request timeout)."""

    progress: Callable[[str], None] = _quiet
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    pacing: Pacing | None = None
    adoption_window: float | None = None
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

    def window_for(self, service: Service) -> float:
        """The adoption window for `service`."""
        if self.adoption_window is not None:
            return self.adoption_window
        return float(getattr(service, "request_timeout", DEFAULT_ADOPTION_WINDOW_SECONDS))
