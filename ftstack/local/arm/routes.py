"""The HTTP surface of the local Azure's management plane; it only translates requests into calls on
`LocalArm` and its answers into responses.

- `PUT /arm{resourceId}` -> 201 created or 200 updated, with the resource
- `GET /arm{resourceId}` -> 200 with the resource, or `{"value": [...]}` for a collection; 404 otherwise
  (including `.../locations/{loc}/usages` and `.../modelCapacities?modelName=&modelVersion=`, the quota)
- `DELETE /arm{resourceId}` -> 200 deleted, 204 when it did not exist
- `GET /local/health` -> `{"ok": true}`
- `GET|POST /local/knobs` -> the knobs (POST merges a patch first; `quota` sets usage limits and current
  values per region: `{"quota": {"usages": {"swedencentral": {"OpenAI.Standard.gpt-4o-mini": {"limit": 20}}}}}`)
- `GET /local/inventory` -> resources, soft-deleted accounts and every account's data plane
- `POST /local/clock` with `{"advance_seconds": N}` -> `{"simulated_now": t}`

The `api-version` query parameter is accepted and ignored. Errors are `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ftstack.local.arm.handlers import ArmError, LocalArm


def error_response(error: ArmError) -> JSONResponse:
    """The JSON answer of an ARM error (with Retry-After for throttling)."""
    headers = {"Retry-After": f"{error.retry_after:g}"} if error.retry_after is not None else None
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        raise ArmError(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}") from exc


def create_routes_app(arm: LocalArm) -> FastAPI:
    """The FastAPI app serving `/arm/...` and `/local/...` for `arm`."""
    app = FastAPI(title="ftstack local Azure", docs_url=None, redoc_url=None, openapi_url=None)

    async def arm_error(_: Request, exc: ArmError) -> Response:
        return error_response(exc)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "NotFound", 405: "MethodNotAllowed"}
        return error_response(
            ArmError(
                exc.status_code,
                codes.get(exc.status_code, f"Http{exc.status_code}"),
                f"{exc.detail}: {request.method} {request.url.path}",
            )
        )

    app.add_exception_handler(ArmError, arm_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]

    async def put_resource(request: Request) -> Response:
        resource, created = await arm.put(request.path_params["path"], await _json(request))
        return JSONResponse(resource, status_code=201 if created else 200)

    async def get_resource(request: Request) -> Response:
        return JSONResponse(arm.get(request.path_params["path"], dict(request.query_params)))

    async def delete_resource(request: Request) -> Response:
        deleted = await arm.delete(request.path_params["path"])
        return Response(status_code=200 if deleted else 204)

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def get_knobs(_: Request) -> Response:
        return JSONResponse(arm.knobs.to_json())

    async def set_knobs(request: Request) -> Response:
        arm.knobs.merge(await _json(request))
        return JSONResponse(arm.knobs.to_json())

    async def inventory(_: Request) -> Response:
        return JSONResponse(arm.inventory())

    async def advance_clock(request: Request) -> Response:
        body = await _json(request)
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        return JSONResponse({"simulated_now": arm.advance_clock(seconds)})

    routes: list[tuple[str, str, Any]] = [
        ("/arm/{path:path}", "PUT", put_resource),
        ("/arm/{path:path}", "GET", get_resource),
        ("/arm/{path:path}", "DELETE", delete_resource),
        ("/local/health", "GET", health),
        ("/local/knobs", "GET", get_knobs),
        ("/local/knobs", "POST", set_knobs),
        ("/local/inventory", "GET", inventory),
        ("/local/clock", "POST", advance_clock),
    ]
    for path, method, handler in routes:
        app.add_api_route(path, handler, methods=[method], include_in_schema=False)
    return app
