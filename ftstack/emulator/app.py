"""The emulator's HTTP surface: files, fine-tuning jobs, models and chat completions under
`/openai/...?api-version=` and `/openai/v1/...`, plus the admin routes under `/emulator/`.

Around the routes, outermost first: the Host check (no DNS rebinding), auth (every route), request counts
(authenticated requests only), the body rules (size, time, well-formed JSON, admin content types), then
faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from ftstack.emulator.admin_routes import add_admin_routes
from ftstack.emulator.auth import AuthMiddleware
from ftstack.emulator.errors import ApiError, error_type
from ftstack.emulator.fault_middleware import FaultMiddleware
from ftstack.emulator.file_routes import add_file_routes
from ftstack.emulator.host_check import HostCheckMiddleware, HostPolicy
from ftstack.emulator.job_routes import add_job_routes
from ftstack.emulator.model_routes import add_model_routes
from ftstack.emulator.request_bodies import RequestBodyMiddleware
from ftstack.emulator.resource import EmulatorResource
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.stats import StatsMiddleware
from ftstack.emulator.surface import AUTHORING, V1


class EmulatorApp(FastAPI):
    """The FastAPI app with the emulator's ASGI layers outermost: the Host check, auth, request counts, the
    body rules, then faults (so a dropped connection can close the server's transport before anything is
    answered)."""

    resource: EmulatorResource

    def build_middleware_stack(self) -> ASGIApp:
        """The routed app wrapped in faults, body rules, stats, auth and the Host check."""
        settings = self.resource.settings
        inner = FaultMiddleware(super().build_middleware_stack(), self.resource.faults)
        counted = StatsMiddleware(RequestBodyMiddleware(inner, settings), self.resource.stats)
        guarded = AuthMiddleware(counted, settings.token)
        policy = HostPolicy(settings.listen_host, settings.allowed_hosts)
        return cast(ASGIApp, HostCheckMiddleware(guarded, policy))


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
    # Input a route could not decode (the body middleware refuses most of it first): a 400, not a 500.
    for undecodable in (UnicodeDecodeError, UnicodeEncodeError, RecursionError):
        app.add_exception_handler(undecodable, _undecodable)
    # A client gone part way through its body: nobody to answer, nothing to log.
    app.add_exception_handler(ClientDisconnect, _client_gone)
    # A body value of a type a route did not expect (a list where a name belongs) is the client's mistake.
    app.add_exception_handler(TypeError, _wrong_type)
    for prefix in (AUTHORING, V1):
        add_file_routes(app, resource, prefix)
        add_job_routes(app, resource, prefix)
        add_model_routes(app, resource, prefix)
    add_admin_routes(app, resource)
    return app


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status)


async def _undecodable(_: Request, exc: Exception) -> JSONResponse:
    problem = "nests too deeply" if isinstance(exc, RecursionError) else "holds text that is not UTF-8"
    error = ApiError(400, "invalidPayload", f"The request {problem}.")
    return JSONResponse(error.to_json(), status_code=400)


async def _client_gone(_: Request, __: Exception) -> Response:
    return Response(status_code=400)


async def _wrong_type(request: Request, exc: Exception) -> JSONResponse:
    if request.method not in ("POST", "PUT", "PATCH"):
        raise exc  # not about a body: a real server error
    error = ApiError(400, "invalidPayload", "A value in the request body has the wrong type for its field.")
    return JSONResponse(error.to_json(), status_code=400)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = "404" if exc.status_code == 404 else str(exc.status_code)
    message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
    error = {
        "code": code,
        "message": f"{message}: {request.method} {request.url.path[:200]}",
        "type": error_type(exc.status_code),
    }
    return JSONResponse({"error": error}, status_code=exc.status_code)
