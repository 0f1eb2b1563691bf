"""Fault rules: per route, what goes wrong and how often, matched against `METHOD /path` with the
`/openai` or `/openai/v1` prefix removed. `fault_middleware.py` applies the HTTP ones.

Kinds that fire before the route runs (the request is never processed): `429` (with Retry-After), `500`,
`503` and `drop` (the connection closes unanswered). Kinds that process the request and then lose or
replace the answer: `drop_after`, `500_after`, `503_after`, each `lag` seconds late (0: processed, then
the answer is lost; more: the answer is lost now and the request is processed `lag` seconds later, as a
backlogged service would), and `slow`, which answers after `delay` seconds and processes the request
even when the client has given up by then. Kinds that change what the service does: `job_fail` (the
created job fails part-way) and `fail_on_deleted_file` (deleting a file that a pending job needs fails
that job; use `times=always` for a standing switch).
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal[
    "429",
    "500",
    "503",
    "drop",
    "slow",
    "drop_after",
    "500_after",
    "503_after",
    "job_fail",
    "fail_on_deleted_file",
]
# Kinds the HTTP middleware applies; the others are taken by the routes that they change.
HTTP_KINDS: tuple[str, ...] = ("429", "500", "503", "drop", "slow", "drop_after", "500_after", "503_after")


class FaultRule(BaseModel):
    """One fault: which route it hits, what happens, how often (None: every time) after `skip` matches."""

    model_config = ConfigDict(extra="forbid")

    route: str = "*"
    kind: FaultKind
    times: int | None = Field(default=1, ge=1)
    skip: int = Field(default=0, ge=0)
    retry_after: int = Field(default=1, ge=0, le=3600)  # bounded: a rule cannot park a client for days
    delay: float = Field(default=2.0, ge=0, le=600, allow_inf_nan=False)
    # For the `*_after` kinds: seconds after the answer is lost that the request is processed.
    lag: float = Field(default=0.0, ge=0, le=600, allow_inf_nan=False)
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
    "anything), kind=429|500|503|drop|slow|drop_after|500_after|503_after|job_fail|fail_on_deleted_file, "
    "times=N|always, skip=N, retry_after=S, delay=S (slow), lag=S (*_after: processed S seconds after "
    "the answer is lost), message=TEXT; e.g. 'route=POST /files,kind=429,times=2,retry_after=1' or "
    "'route=POST /fine_tuning/jobs,kind=drop_after,lag=1.5'"
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
    """The active fault rules, how often each has fired, and the requests still to be processed late."""

    armed: list[_Armed] = field(default_factory=list)
    late: set[asyncio.Task[None]] = field(default_factory=set)

    def process_late(self, work: Callable[[], Awaitable[None]], lag: float) -> None:
        """Run `work()` (a request whose answer was already lost) `lag` seconds from now, on this loop
        (a server that stops first never processes it, as a service that crashed with a backlog)."""

        async def later() -> None:
            await asyncio.sleep(lag)
            await work()

        task = asyncio.get_running_loop().create_task(later())
        self.late.add(task)
        task.add_done_callback(self.late.discard)

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
        """Every rule with its counters, for `GET /emulator/faults` (`late` there counts the requests
        still waiting to be processed)."""
        return [
            {
                **a.rule.model_dump(),
                "fired": a.fired,
                "remaining": None if a.rule.times is None else max(0, a.rule.times - a.fired),
            }
            for a in self.armed
        ]
