"""The emulator's simulated clock: unix seconds that run `time_scale` times faster than real time."""

from __future__ import annotations

import time


class SimulatedClock:
    """Simulated unix time: starts at `start` (default: now) and runs `scale` times faster than real time."""

    def __init__(self, scale: float, start: float | None = None) -> None:
        self.scale = scale
        self._origin = time.time() if start is None else start
        self._real_origin = time.monotonic()

    def now(self) -> float:
        """The current simulated unix time in seconds."""
        return self._origin + (time.monotonic() - self._real_origin) * self.scale

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward (for tests and admin calls that should not wait)."""
        self._origin += seconds
