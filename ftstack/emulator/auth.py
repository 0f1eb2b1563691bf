"""Request authentication the way the service checks it, on every route (the `/emulator/` admin routes and
unknown paths included): an `api-key` header or an `Authorization: Bearer` token is required (401
otherwise); with a configured token, only that token is accepted, compared in constant time."""

from __future__ import annotations

import hmac
import json
from typing import Any

UNAUTHORIZED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


def presented_token(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The key or bearer token a request carries, if any (an `api-key` header wins over a bearer token)."""
    found: bytes | None = None
    for name, value in headers:
        key, text = name.lower(), value.strip()
        if key == b"api-key" and text:
            return text
        if key == b"authorization" and text[:7].lower() == b"bearer " and text[7:].strip():
            found = text[7:].strip()
    return found


def token_accepted(presented: bytes | None, expected: str | None) -> bool:
    """True when `presented` opens the door: equal to `expected` (constant-time), or any non-empty
    credential when no token is configured."""
    if presented is None:
        return False
    if expected is None:
        return True
    return hmac.compare_digest(presented, expected.encode("utf-8"))


class AuthMiddleware:
    """ASGI middleware answering 401 to every request without an accepted key or token."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass authenticated requests on; answer the others with 401."""
        if scope["type"] != "http" or token_accepted(presented_token(scope["headers"]), self.token):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"error": {"code": "401", "message": UNAUTHORIZED_MESSAGE, "type": "invalid_request_error"}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
