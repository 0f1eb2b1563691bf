"""Cutting off clients that never finish their request headers.

uvicorn waits for request headers as long as a client likes (its keep-alive timer runs only between
requests), so a client sending them a byte at a time holds a connection open for good. The protocol made
here closes a connection whose request headers are not complete within the client timeout; a body that
stalls is cut off by `request_bodies.py`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def header_deadline_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing connections whose request headers take longer than `seconds`."""

    class HeaderDeadlineProtocol(H11Protocol):
        """H11Protocol with a deadline on each request's headers."""

        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expire(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol


def uvicorn_options(client_timeout_seconds: float) -> dict[str, Any]:
    """The `uvicorn.Config` keyword arguments that bound slow clients: the header deadline, a short idle
    keep-alive and the size of incomplete request heads."""
    return {
        "http": header_deadline_protocol(client_timeout_seconds),
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
    }
