"""Request authentication the way the service checks it: an `api-key` header or an `Authorization:
Bearer` token is required (401 otherwise); with a configured token, only that token is accepted."""

from __future__ import annotations

import json
from typing import Any

UNAUTHORIZED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
# Admin routes anyone on the loopback may call without a token.
OPEN_PATHS = ("/emulator/health",)


def presented_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key or bearer token a request carries, if any."""
    found: str | None = None
    for name, value in headers:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1").strip()
        if key == "api-key" and text:
            return text
        if key == "authorization" and text.lower().startswith("bearer ") and text[7:].strip():
            found = text[7:].strip()
    return found


class AuthMiddleware:
    """ASGI middleware answering 401 to requests without an accepted key or token."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass authenticated requests on; answer the others with 401."""
        if scope["type"] != "http" or not self._protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = presented_token(scope["headers"])
        if token is not None and (self.token is None or token == self.token):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": {"code": "401", "message": UNAUTHORIZED_MESSAGE}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _protected(self, path: str) -> bool:
        if path.startswith("/openai"):
            return True
        # Admin routes need the token only when one is configured.
        return path.startswith("/emulator") and path not in OPEN_PATHS and self.token is not None
