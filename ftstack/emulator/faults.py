"""Fault injection: per-route rules (429 with Retry-After, 500, 503, dropped connections, slow answers,
failing jobs), matched against `METHOD /path` with the `/openai` or `/openai/v1` prefix removed."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal["429", "500", "503", "drop", "slow", "job_fail"]

Scope = dict[str, Any]
Message = dict[str, Any]


class FaultRule(BaseModel):
    """One fault: which route it hits, what happens, how often (None: every time) after `skip` matches."""

    model_config = ConfigDict(extra="forbid")

    route: str = "*"
    kind: FaultKind
    times: int | None = Field(default=1, ge=1)
    skip: int = Field(default=0, ge=0)
    retry_after: int = Field(default=1, ge=0)
    delay: float = Field(default=2.0, ge=0)
    message: str = "The job failed due to an internal error."

    @model_validator(mode="after")
    def _route_shape(self) -> FaultRule:
        if self.route != "*" and not re.fullmatch(r"(\*|[A-Z]+) /\S*", self.route):
            raise ValueError(
                f"route {self.route!r} should look like 'POST /files', 'GET /fine_tuning/jobs/*' or '*'"
            )
        return self

    def matches(self, method: str, path: str) -> bool:
        """True when this rule's route pattern covers `method path` (`{name}` and `*` match any text)."""
        if self.route == "*":
            return True
        want_method, want_path = self.route.split(" ", 1)
        pattern = re.sub(r"\{[^}]*\}", "*", want_path.rstrip("/"))
        return want_method in ("*", method) and fnmatch.fnmatchcase(path.rstrip("/"), pattern)


FAULT_SPEC_HELP = (
    "comma-separated key=value pairs: route='METHOD /path' (without /openai or /openai/v1; * and {id} match "
    "anything), kind=429|500|503|drop|slow|job_fail, times=N|always, skip=N, retry_after=S, delay=S, "
    "message=TEXT; e.g. 'route=POST /files,kind=429,times=2,retry_after=1'"
)


def parse_fault_spec(spec: str) -> FaultRule:
    """The FaultRule a `--fault` value describes; ValueError naming the problem and the syntax."""
    fields: dict[str, object] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"fault {spec!r}: {part!r} is not key=value; {FAULT_SPEC_HELP}")
        fields[key] = None if key == "times" and value.strip() == "always" else value.strip()
    try:
        return FaultRule.model_validate(fields)
    except ValueError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'fault'}: {e['msg']}" for e in _errors(exc)
        )
        raise ValueError(f"fault {spec!r}: {problems}; {FAULT_SPEC_HELP}") from exc


def _errors(exc: ValueError) -> list[dict[str, Any]]:
    errors = getattr(exc, "errors", None)
    return list(errors()) if callable(errors) else [{"loc": (), "msg": str(exc)}]


@dataclass
class _Armed:
    rule: FaultRule
    seen: int = 0
    fired: int = 0


@dataclass
class FaultBook:
    """The active fault rules and how often each has fired."""

    armed: list[_Armed] = field(default_factory=list)

    def add(self, rule: FaultRule) -> None:
        """Arm one more rule."""
        self.armed.append(_Armed(rule))

    def clear(self) -> None:
        """Disarm every rule."""
        self.armed.clear()

    def take(self, method: str, path: str, kinds: tuple[str, ...]) -> FaultRule | None:
        """The first armed rule of one of `kinds` that fires for this request (counting it), if any."""
        for armed in self.armed:
            rule = armed.rule
            if rule.kind not in kinds or not rule.matches(method, path):
                continue
            if rule.times is not None and armed.fired >= rule.times:
                continue
            armed.seen += 1
            if armed.seen <= rule.skip:
                continue
            armed.fired += 1
            return rule
        return None

    def to_json(self) -> list[dict[str, object]]:
        """Every rule with its counters, for `GET /emulator/faults`."""
        return [
            {
                **a.rule.model_dump(),
                "fired": a.fired,
                "remaining": None if a.rule.times is None else max(0, a.rule.times - a.fired),
            }
            for a in self.armed
        ]


HTTP_KINDS = ("429", "500", "503", "drop", "slow")


def api_path(path: str) -> str:
    """The request path without the `/openai/v1` or `/openai` prefix (how fault routes are written)."""
    for prefix in ("/openai/v1", "/openai"):
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path


class FaultMiddleware:
    """ASGI middleware that applies HTTP-level faults before the request reaches the API."""

    def __init__(self, app: Any, book: FaultBook) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Answer with the fault a matching rule asks for, or pass the request on."""
        if scope["type"] != "http" or not scope["path"].startswith("/openai"):
            await self.app(scope, receive, send)
            return
        rule = self.book.take(scope["method"], api_path(scope["path"]), HTTP_KINDS)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.kind == "slow":
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, send)
        elif rule.kind == "drop":
            _drop_connection(send)
        else:
            await _send_error(send, rule)


_FAULT_BODIES = {
    "429": (
        "429",
        "Requests to the API have exceeded the rate limit of your current tier. "
        "Please retry after {retry_after} seconds.",
    ),
    "500": ("InternalServerError", "The server had an error while processing your request (injected fault)."),
    "503": ("ServiceUnavailable", "The service is temporarily unavailable (injected fault)."),
}


async def _send_error(send: Any, rule: FaultRule) -> None:
    code, message = _FAULT_BODIES[rule.kind]
    body = json.dumps({"error": {"code": code, "message": message.format(retry_after=rule.retry_after)}})
    headers = [(b"content-type", b"application/json")]
    if rule.kind == "429":
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    await send({"type": "http.response.start", "status": int(rule.kind), "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


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
