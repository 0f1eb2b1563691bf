"""The two API surfaces, `/openai/...?api-version=` (authoring) and `/openai/v1/...`, and how their routes
read requests (api-version, JSON bodies, list limits) and answer creations (201 with a Location, or 200)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ftstack.emulator.errors import ApiError, bad_request

AUTHORING = "/openai"
V1 = "/openai/v1"
Handler = Callable[[Request], Awaitable[Response]]


def registrar(app: FastAPI, prefix: str) -> Callable[[str, str], Callable[[Handler], Handler]]:
    """A decorator factory registering a handler for `METHOD prefix+path`."""

    def route(path: str, method: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            app.add_api_route(prefix + path, handler, methods=[method], include_in_schema=False)
            return handler

        return register

    return route


# The authoring api-versions the emulator serves: the stable versions with `/fine_tuning/jobs` (2024-02-01
# on) and the previews the reference describes (§1.1). Checkpoints arrive in 2024-06-01; pause and resume
# exist only in previews (§1.2).
STABLE_API_VERSIONS = ("2024-02-01", "2024-06-01", "2024-10-21")
PREVIEW_API_VERSIONS = ("2025-03-01-preview", "2025-04-01-preview")
SERVED_API_VERSIONS = STABLE_API_VERSIONS + PREVIEW_API_VERSIONS
CHECKPOINTS_SINCE = "2024-06-01"


def surface_checked(request: Request) -> bool:
    """True for the v1 surface; a 404 like the service's when the authoring surface lacks api-version, and
    a 404 naming the served versions for one the emulator does not serve."""
    if request.url.path.startswith(V1 + "/"):
        return True
    version = request.query_params.get("api-version")
    if not version:
        raise ApiError(
            404,
            "404",
            "Resource not found: requests under /openai/ need the api-version query "
            "parameter (e.g. ?api-version=2025-04-01-preview), or use /openai/v1/.",
        )
    if version not in SERVED_API_VERSIONS:
        raise ApiError(
            404,
            "404",
            f"Resource not found: api-version {version} is not served; use one of "
            f"{', '.join(SERVED_API_VERSIONS)}, or /openai/v1/.",
            param="api-version",
        )
    return False


def require_version(request: Request, since: str | None = None, preview: bool = False) -> None:
    """A 404 when the request's api-version predates the route (`since`) or the route is preview-only."""
    version = request.query_params.get("api-version")
    if request.url.path.startswith(V1 + "/") or version is None:
        return
    if (preview and version not in PREVIEW_API_VERSIONS) or (since is not None and version < since):
        raise ApiError(
            404,
            "404",
            f"Resource not found: {request.method} {request.url.path} is not part of api-version {version}"
            + (
                "; use a preview version such as 2025-04-01-preview."
                if preview
                else f"; use {since} or later."
            ),
        )


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; a 400 when it is not one."""
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def page_limit(request: Request, default: int, highest: int) -> int:
    """The `limit` query parameter (1..highest), or `default`."""
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise bad_request(f"limit must be an integer from 1 to {highest}, not {raw!r}.", param="limit")
    return int(raw)


def created(body: dict[str, Any], v1: bool, location: str) -> JSONResponse:
    """The answer to a creation: 201 with a Location on the authoring surface, 200 on v1."""
    if v1:
        return JSONResponse(body)
    return JSONResponse(body, status_code=201, headers={"Location": location})
