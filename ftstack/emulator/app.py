"""The emulator's HTTP surface: files, fine-tuning jobs, models and chat completions under
`/openai/...?api-version=` and `/openai/v1/...`, plus the admin routes under `/emulator/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from ftstack.emulator.admin_routes import add_admin_routes
from ftstack.emulator.auth import AuthMiddleware
from ftstack.emulator.errors import ApiError, error_type
from ftstack.emulator.fault_middleware import FaultMiddleware
from ftstack.emulator.file_routes import add_file_routes
from ftstack.emulator.job_routes import add_job_routes
from ftstack.emulator.model_routes import add_model_routes
from ftstack.emulator.resource import EmulatorResource
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.stats import StatsMiddleware
from ftstack.emulator.surface import AUTHORING, V1


class EmulatorApp(FastAPI):
    """The FastAPI app with the emulator's ASGI layers outermost: request counts, auth, then faults (so a
    dropped connection can close the server's transport before anything is answered)."""

    resource: EmulatorResource

    def build_middleware_stack(self) -> ASGIApp:
        """The routed app wrapped in faults, auth and stats."""
        inner = super().build_middleware_stack()
        guarded = AuthMiddleware(FaultMiddleware(inner, self.resource.faults), self.resource.settings.token)
        return cast(ASGIApp, StatsMiddleware(guarded, self.resource.stats))


def create_app(settings: EmulatorSettings | None = None, resource: EmulatorResource | None = None) -> FastAPI:
    """The emulator as an ASGI app (state in memory, or in `settings.state_dir`), or the app serving an
    existing `resource` (whose owner closes it when the app runs without its lifespan)."""
    if resource is None:
        resource = EmulatorResource(settings or EmulatorSettings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        resource.close()

    app = EmulatorApp(
        title="ftstack Azure OpenAI fine-tuning emulator",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.resource = resource
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for prefix in (AUTHORING, V1):
        add_file_routes(app, resource, prefix)
        add_job_routes(app, resource, prefix)
        add_model_routes(app, resource, prefix)
    add_admin_routes(app, resource)
    return app


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = "404" if exc.status_code == 404 else str(exc.status_code)
    message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
    error = {
        "code": code,
        "message": f"{message}: {request.method} {request.url.path}",
        "type": error_type(exc.status_code),
    }
    return JSONResponse({"error": error}, status_code=exc.status_code)
