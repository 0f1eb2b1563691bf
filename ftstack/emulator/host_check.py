"""The Host header checked against the address the emulator listens on, so a web page cannot reach it through
DNS rebinding (a name the attacker controls, re-pointed at 127.0.0.1).

Accepted: any IP address (a rebinding attack needs a name: a page at `http://10.0.0.5:8765` is the
emulator's own origin), loopback names (`localhost`), the listen host, and the names an operator allowed
(`--allow-host`). The port is not compared, so port forwarding (a container's published port) keeps
working.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from ftstack.emulator.errors import error_type

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def host_name(header: str) -> str:
    """The host part of a Host header value (`[::1]:80` -> `::1`, `Example:80` -> `example`)."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


class HostPolicy:
    """Which Host header values an emulator listening on `listen_host` answers."""

    def __init__(self, listen_host: str, allowed: list[str] | None = None) -> None:
        self.listen = host_name(listen_host)
        self.allowed = frozenset(host_name(h) for h in allowed or [])

    def accepts(self, header: str | None) -> bool:
        """True when a request with this Host header is meant for this emulator."""
        if header is None:
            return False
        host = host_name(header)
        if not host:
            return False
        return host == self.listen or host in self.allowed or host in LOOPBACK_NAMES or _ip(host) is not None


def _host_header(scope: dict[str, Any]) -> str | None:
    for name, value in scope["headers"]:
        if name.lower() == b"host":
            return value.decode("latin-1")
    return None


class HostCheckMiddleware:
    """ASGI middleware answering 400 to requests whose Host header does not name this emulator."""

    def __init__(self, app: Any, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass requests for this emulator on; refuse the others."""
        header = _host_header(scope) if scope["type"] == "http" else ""
        if scope["type"] != "http" or self.policy.accepts(header):
            await self.app(scope, receive, send)
            return
        shown = (header or "")[:80]
        error = {
            "code": "invalidHost",
            "message": f"Host {shown!r} is not this emulator's address; call it at the address it listens on "
            "(start it with --allow-host NAME to accept another name).",
            "param": None,
            "type": error_type(400),
        }
        body = json.dumps({"error": error}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
