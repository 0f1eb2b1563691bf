"""Request counts per route (ids generalized), so tests can check what a client did or did not resend.

Only authenticated requests are counted (the middleware sits behind auth), and the number of distinct
keys is bounded: past `MAX_KEYS` routes or deployments, further ones are counted under `OTHER`, so no
client, however many made-up paths or deployment names it sends, makes the counters grow without end."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_GENERALIZE = (
    (re.compile(r"/deployments/[^/]+"), "/deployments/{deployment}"),
    (re.compile(r"/models/[^/]+"), "/models/{model}"),
    (re.compile(r"/files/(?!import$)[^/]+"), "/files/{file_id}"),
    (re.compile(r"/fine_tuning/jobs/[^/]+"), "/fine_tuning/jobs/{job_id}"),
)


# Distinct routes, and distinct chat deployments, counted one by one; the rest share the `OTHER` key.
MAX_KEYS = 256
# Longest path or deployment name kept in a key (longer ones are cut).
MAX_KEY_CHARS = 200
OTHER = "(other)"


def _bounded(counter: Counter[str], key: str) -> None:
    """Count `key` in `counter`, or under OTHER once the counter holds MAX_KEYS keys."""
    key = key[:MAX_KEY_CHARS]
    if key not in counter and len(counter) >= MAX_KEYS:
        key = OTHER
    counter[key] += 1


def route_key(method: str, path: str) -> str:
    """`METHOD /path` with ids replaced by placeholders."""
    for pattern, placeholder in _GENERALIZE:
        path = pattern.sub(placeholder, path)
    return f"{method} {path}"


@dataclass
class RequestStats:
    """Counts of API requests (admin routes excluded), per route and per chat deployment."""

    routes: Counter[str] = field(default_factory=Counter)
    chat_deployments: Counter[str] = field(default_factory=Counter)
    # Data files deleted while a job that had not ended still referenced them (a client bug to catch).
    files_deleted_under_live_jobs: int = 0

    def record(self, method: str, path: str) -> None:
        """Count one request."""
        _bounded(self.routes, route_key(method[:16], path))

    def record_chat(self, deployment: str) -> None:
        """Count one chat completion for `deployment`."""
        _bounded(self.chat_deployments, deployment)

    def reset(self) -> None:
        """Forget every count."""
        self.routes.clear()
        self.chat_deployments.clear()
        self.files_deleted_under_live_jobs = 0

    def to_json(self) -> dict[str, Any]:
        """`{"total", "routes": {route: n}, "chat_completions": n, "chat_completions_by_deployment",
        "files_deleted_under_live_jobs"}`."""
        chat = sum(n for key, n in self.routes.items() if key.endswith("/chat/completions"))
        return {
            "total": sum(self.routes.values()),
            "routes": dict(sorted(self.routes.items())),
            "chat_completions": chat,
            "chat_completions_by_deployment": dict(sorted(self.chat_deployments.items())),
            "files_deleted_under_live_jobs": self.files_deleted_under_live_jobs,
        }


class StatsMiddleware:
    """ASGI middleware counting every authenticated API request as it arrives (faulted ones included)."""

    def __init__(self, app: Any, stats: RequestStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Count the request, then pass it on."""
        if scope["type"] == "http" and scope["path"].startswith("/openai"):
            self.stats.record(scope["method"], scope["path"])
        await self.app(scope, receive, send)
