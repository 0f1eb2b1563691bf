"""What a request body must be before a route reads it: within its size (413), sent without stalling (408),
and, except for the file upload, well-formed JSON (400): UTF-8, at most `MAX_JSON_DEPTH` deep, no NaN or
infinity. The admin routes also refuse the content types a web page may send cross-site without a
preflight (`text/plain` and the form types, 415).

The upload (`POST /files`) is not buffered: it streams through to the route, which writes it to disk,
with its size counted and every read bounded in time. Every other body is read whole (it is small),
checked, then handed to the route.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from typing import Any

from ftstack.emulator.errors import ApiError
from ftstack.emulator.fault_middleware import api_path
from ftstack.emulator.settings import EmulatorSettings

# Largest JSON body of an API route (a chat request with a long conversation fits easily).
MAX_JSON_BYTES = 16 * 1024 * 1024
# Largest body of an admin route (fault rules, a deployment, a clock jump).
MAX_ADMIN_BYTES = 1024 * 1024
# Multipart framing and the small form fields around the file part of an upload.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024
# Nesting depth of arrays and objects (the deepest real body, a chat message with content parts, has 5).
MAX_JSON_DEPTH = 64
# Content types a browser sends cross-site without asking first (a "simple" request).
SIMPLE_CONTENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A `\\u` escape of a UTF-16 surrogate: JSON allows a lone one, but no UTF-8 answer or saved state can hold it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyRefusedError(ApiError):
    """A body refused before a route has answered: too large, too slow, or not what the route reads."""


def too_large(limit: int, what: str) -> BodyRefusedError:
    """The 413 for a body over `limit` bytes."""
    return BodyRefusedError(
        413, "requestEntityTooLarge", f"The {what} is larger than {limit} bytes, the most this route accepts."
    )


def _too_slow(seconds: float) -> BodyRefusedError:
    return BodyRefusedError(
        408, "requestTimeout", f"The request body did not arrive within {seconds:g} seconds; send it again."
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range for a number")
    return value


def _depth_exceeds(value: object, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` deep (iterative: no recursion to exhaust)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _has_lone_surrogate(value: object) -> bool:
    """True when a string (or an object key) holds a UTF-16 surrogate that pairs with nothing."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_problem(body: bytes) -> str | None:
    """Why `body` is not a JSON value the emulator reads, or None when it is one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"The request body is not UTF-8 (byte {exc.start} is invalid)."
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        return f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
    except RecursionError:
        return f"The request body nests arrays or objects more than {MAX_JSON_DEPTH} deep."
    except ValueError as exc:  # NaN, Infinity, 1e999, an integer of thousands of digits
        return f"The request body is not valid JSON: {str(exc)[:120]}."
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        return f"The request body nests arrays or objects more than {MAX_JSON_DEPTH} deep."
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        return "The request body has a \\u escape of a lone UTF-16 surrogate, which is not a character."
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _media_type(scope: Scope) -> str | None:
    raw = _header(scope, b"content-type")
    return None if raw is None else raw.split(";", 1)[0].strip().lower()


def is_upload(scope: Scope) -> bool:
    """True for the multipart file upload, `POST /openai/files` or `POST /openai/v1/files`."""
    path: str = scope["path"]
    return scope["method"] == "POST" and path.startswith("/openai") and api_path(path) == "/files"


async def send_error(send: Any, error: ApiError) -> None:
    """Answer with `error` as the service's JSON error body; a 408 or 413 also closes the connection."""
    body = json.dumps(error.to_json()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if error.status in (408, 413):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestBodyMiddleware:
    """ASGI middleware enforcing the body rules above before any route runs."""

    def __init__(self, app: Any, settings: EmulatorSettings) -> None:
        self.app = app
        self.timeout = settings.client_timeout_seconds
        self.upload_limit = settings.max_file_bytes + UPLOAD_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Refuse a body that breaks the rules; pass the others on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admin = scope["path"].startswith("/emulator")
        upload = is_upload(scope)
        limit = self.upload_limit if upload else MAX_ADMIN_BYTES if admin else MAX_JSON_BYTES
        media = _media_type(scope)
        try:
            if admin and scope["method"] in _WRITES and media is not None and media != "application/json":
                raise BodyRefusedError(
                    415,
                    "unsupportedMediaType",
                    f"Admin routes read application/json only, not {media[:60]}.",
                )
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise too_large(limit, "request body")
            if upload:
                await self._stream(scope, receive, send, limit)
                return
            body = await self._read(receive, limit)
            if body is None:
                return  # the client went away
            if body:
                if admin and media is None:
                    raise BodyRefusedError(
                        415, "unsupportedMediaType", "Admin routes read application/json only; say so."
                    )
                problem = json_problem(body)
                if problem is not None:
                    raise BodyRefusedError(400, "invalidPayload", problem)
        except BodyRefusedError as exc:
            await send_error(send, exc)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Any, limit: int) -> bytes | None:
        """The whole body, read within the client timeout; None when the client disconnected."""
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise _too_slow(self.timeout) from None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit, "request body")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _stream(self, scope: Scope, receive: Any, send: Any, limit: int) -> None:
        """Run the upload route with its body counted and each read bounded by the client timeout."""
        started = False
        size = 0
        done = False

        async def counted_receive() -> Message:
            nonlocal size, done
            if done:
                return dict(await receive())
            try:
                message = dict(await asyncio.wait_for(receive(), self.timeout))
            except TimeoutError:
                raise _too_slow(self.timeout) from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise too_large(limit, "upload")
                done = not message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyRefusedError as exc:
            if not started:
                await send_error(send, exc)


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that hands over the buffered body, then waits on the real one (for the disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return dict(await receive())
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
