"""The ASGI middleware that applies HTTP fault rules: before the route runs (nothing processed), or
after (processed, and the answer lost or replaced), on every `/openai` route."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ftstack.emulator.errors import error_type
from ftstack.emulator.faults import HTTP_KINDS, FaultBook, FaultRule

Scope = dict[str, Any]
Message = dict[str, Any]

# Status, spec error code and message of each injected error answer (reference §1.6 lists the codes).
_FAULT_ANSWERS = {
    "429": (
        429,
        "tooManyRequests",
        "Requests to the API have exceeded the rate limit of your current tier. "
        "Please retry after {retry_after} seconds.",
    ),
    "500": (
        500,
        "internalFailure",
        "The server had an error while processing your request (injected fault).",
    ),
    "503": (503, "serviceUnavailable", "The service is temporarily unavailable (injected fault)."),
}


def api_path(path: str) -> str:
    """The request path without the `/openai/v1` or `/openai` prefix (how fault routes are written)."""
    for prefix in ("/openai/v1", "/openai"):
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path


class FaultMiddleware:
    """Apply the first armed HTTP fault rule that matches a request, or pass the request on."""

    def __init__(self, app: Any, book: FaultBook) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Answer, drop, delay or process-then-lose the request as the matching rule says."""
        if scope["type"] != "http" or not scope["path"].startswith("/openai"):
            await self.app(scope, receive, send)
            return
        rule = self.book.take(scope["method"], api_path(scope["path"]), HTTP_KINDS)
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.kind in _FAULT_ANSWERS:
            await _send_error(send, rule.kind, rule.retry_after)
            return
        if rule.kind == "drop":
            _drop_connection(send)
            return
        # Every remaining kind processes the request whatever the client does next: read it whole first
        # (once the client has gone the server could no longer read its body).
        body = await _read_body(receive)
        if body is None:
            return  # the client left before it finished sending: there is no request to process
        if rule.kind == "slow":
            await asyncio.sleep(rule.delay)
            await self.app(scope, _replay(body), _tolerant(send))
            return
        if rule.lag == 0:
            await self.app(scope, _replay(body), _discard)
            await _lose_answer(send, rule)
        else:
            await _lose_answer(send, rule)
            self.book.process_late(lambda: self.app(scope, _replay(body), _discard), rule.lag)


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body, or None when the client disconnected before sending all of it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Any:
    """A `receive` that hands the buffered body to the app, then reports the client gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _discard(_: Message) -> None:
    """A `send` for an answer nobody will receive."""
    return


def _tolerant(send: Any) -> Any:
    """A `send` that ignores a client that has already gone away."""

    async def deliver(message: Message) -> None:
        try:
            await send(message)
        except Exception:  # the connection is closed; the request was processed all the same
            return

    return deliver


async def _lose_answer(send: Any, rule: FaultRule) -> None:
    if rule.kind == "drop_after":
        _drop_connection(send)
    else:
        await _send_error(send, rule.kind.removesuffix("_after"), rule.retry_after)


async def _send_error(send: Any, kind: str, retry_after: int) -> None:
    status, code, message = _FAULT_ANSWERS[kind]
    error = {"code": code, "message": message.format(retry_after=retry_after), "type": error_type(status)}
    headers = [(b"content-type", b"application/json")]
    if status == 429:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps({"error": error}).encode()})


def _drop_connection(send: Any) -> None:
    # ASGI has no "close without answering"; uvicorn's send is bound to the request cycle, which holds
    # the transport, so closing it is how a dropped connection is simulated.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        raise ConnectionAbortedError("injected fault: connection dropped")
    transport.close()
    # Mark the cycle disconnected now (the server would on its next loop turn), so it neither logs a
    # missing response nor tries to send a 500.
    cycle.disconnected = True
