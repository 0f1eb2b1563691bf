"""The local Azure as one ASGI app: bearer auth in front of everything, `/accounts/{subdomain}/openai/...`
dispatched to that account's emulator app (the emulator's own routes, under a path prefix), and the rest
(`/arm/...`, `/local/...`) to the management-plane routes."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.local.accounts import DataPlaneAccounts
from ftstack.local.arm.handlers import DEFAULT_SUBSCRIPTION, ArmError, Knobs, LocalArm, start_clock
from ftstack.local.arm.routes import create_routes_app
from ftstack.local.arm.store import ArmStore

ARM_DATABASE = "arm.sqlite"
ACCOUNTS_DIR = "accounts"
ACCOUNTS_PREFIX = "/accounts/"

Scope = dict[str, Any]


@dataclass(frozen=True)
class LocalAzureSettings:
    """What one local Azure serves: its home (state), its URL, the clock scale, the token, the subscription."""

    home: Path
    base_url: str
    token: str
    time_scale: float = 600.0
    subscription: str = DEFAULT_SUBSCRIPTION


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return None


async def _answer(send: Any, error: ArmError, extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(error.to_json()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": error.status, "headers": headers + (extra_headers or [])}
    )
    await send({"type": "http.response.body", "body": body})


class LocalAzureApp:
    """The ASGI app: auth, then the data plane of one account or the management plane."""

    def __init__(self, arm: LocalArm, token: str) -> None:
        self.arm = arm
        self._token = token.encode()
        self._routes = create_routes_app(arm)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Serve one ASGI connection (the lifespan closes the backend at shutdown)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        presented = _bearer(scope)
        if presented is None or not hmac.compare_digest(presented.encode(), self._token):
            code, message = (
                ("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
                if presented is None
                else ("InvalidAuthenticationToken", "The access token is invalid.")
            )
            await _answer(send, ArmError(401, code, message), [(b"www-authenticate", b"Bearer")])
            return
        path: str = scope["path"]
        if path.startswith(ACCOUNTS_PREFIX):
            await self._data_plane(scope, receive, send)
            return
        await self._routes(scope, receive, send)

    async def _data_plane(self, scope: Scope, receive: Any, send: Any) -> None:
        subdomain, _, rest = scope["path"][len(ACCOUNTS_PREFIX) :].partition("/")
        rest = "/" + rest
        try:
            account = self.arm.data_plane_gate(subdomain)
        except ArmError as exc:
            await _answer(send, exc)
            return
        if not (rest == "/openai" or rest.startswith("/openai/")):
            await _answer(send, ArmError(404, "404", f"Resource not found: {scope['path']}"))
            return
        prefix = ACCOUNTS_PREFIX + subdomain
        # The emulator routes and middlewares read `path` as if they were the whole server; `app_root_path`
        # keeps the prefix in the URLs they build (Location headers).
        inner = dict(scope)
        inner["path"] = rest
        inner["raw_path"] = rest.encode()
        inner["app_root_path"] = scope.get("root_path", "") + prefix
        await account.app(inner, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.arm.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_local_azure(settings: LocalAzureSettings, knobs: Knobs | None = None) -> LocalAzureApp:
    """The local Azure on `settings.home`: ARM state from its SQLite file, accounts from their directories."""
    settings.home.mkdir(parents=True, exist_ok=True)
    store = ArmStore(settings.home / ARM_DATABASE)
    clock = start_clock(store, settings.time_scale)
    accounts = DataPlaneAccounts(settings.home / ACCOUNTS_DIR, clock)
    arm = LocalArm(store, accounts, clock, settings.base_url, settings.subscription, knobs)
    return LocalAzureApp(arm, settings.token)
