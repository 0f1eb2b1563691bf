"""The emulator's HTTP surface: files, fine-tuning jobs, models and chat completions under
`/openai/...?api-version=` and `/openai/v1/...`, plus the admin routes under `/emulator/`."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from ftstack.catalog import load_matrix
from ftstack.emulator import chat, lifecycle, payloads
from ftstack.emulator.admin_routes import add_admin_routes
from ftstack.emulator.auth import AuthMiddleware
from ftstack.emulator.errors import ApiError, bad_request, not_found
from ftstack.emulator.faults import FaultMiddleware
from ftstack.emulator.job_requests import create_job
from ftstack.emulator.resource import FILE_PURPOSES, EmulatorResource
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.state import JobRecord
from ftstack.emulator.stats import StatsMiddleware

AUTHORING = "/openai"
V1 = "/openai/v1"
Handler = Callable[[Request], Awaitable[Response]]


class EmulatorApp(FastAPI):
    """The FastAPI app with the emulator's ASGI layers outermost: request counts, auth, then faults (so a
    dropped connection can close the server's transport before anything is answered)."""

    resource: EmulatorResource

    def build_middleware_stack(self) -> ASGIApp:
        """The routed app wrapped in faults, auth and stats."""
        inner = super().build_middleware_stack()
        guarded = AuthMiddleware(FaultMiddleware(inner, self.resource.faults), self.resource.settings.token)
        return cast(ASGIApp, StatsMiddleware(guarded, self.resource.stats))


def create_app(settings: EmulatorSettings | None = None) -> FastAPI:
    """The emulator as an ASGI app (state in memory, or in `settings.state_dir`)."""
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
        _add_api_routes(app, resource, prefix)
    add_admin_routes(app, resource)
    return app


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = "404" if exc.status_code == 404 else str(exc.status_code)
    message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(
        {"error": {"code": code, "message": f"{message}: {request.method} {request.url.path}"}},
        status_code=exc.status_code,
    )


# --- request helpers -------------------------------------------------------------------------------


def _surface_checked(request: Request) -> bool:
    """True for the v1 surface; a 404 like the service's when the authoring surface lacks api-version."""
    if request.url.path.startswith(V1 + "/"):
        return True
    if not request.query_params.get("api-version"):
        raise ApiError(
            404,
            "404",
            "Resource not found: requests under /openai/ need the api-version query "
            "parameter (e.g. ?api-version=2025-04-01-preview), or use /openai/v1/.",
        )
    return False


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _limit(request: Request, default: int, highest: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise bad_request(f"limit must be an integer from 1 to {highest}, not {raw!r}.", param="limit")
    return int(raw)


EXPIRY_SECONDS = (1_209_600, 2_592_000)


def _expires_after(raw: object) -> int | None:
    """Seconds after creation the file expires (`expires_after.seconds`, 14 to 30 days), if given."""
    if raw is None:
        return None
    text = str(raw)
    low, high = EXPIRY_SECONDS
    if not text.isdigit() or not low <= int(text) <= high:
        raise bad_request(
            f"expires_after.seconds must be from {low} (14 days) to {high} (30 days), not {text!r}.",
            param="expires_after.seconds",
        )
    return int(text)


def _job(resource: EmulatorResource, request: Request) -> JobRecord:
    ident = request.path_params["job_id"]
    job = resource.state.jobs.get(ident)
    if job is None:
        raise not_found("Fine-tuning job", ident)
    return job


def _created(body: dict[str, Any], v1: bool, location: str) -> JSONResponse:
    # The authoring surface answers creations with 201 and a Location; v1 with 200.
    if v1:
        return JSONResponse(body)
    return JSONResponse(body, status_code=201, headers={"Location": location})


# --- routes ----------------------------------------------------------------------------------------


def _add_api_routes(app: FastAPI, resource: EmulatorResource, prefix: str) -> None:
    state = resource.state

    def route(path: str, method: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            app.add_api_route(prefix + path, handler, methods=[method], include_in_schema=False)
            return handler

        return register

    @route("/files", "POST")
    async def upload_file(request: Request) -> Response:
        v1 = _surface_checked(request)
        now = resource.sync()
        form = await request.form()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, UploadFile):
            raise bad_request("file is required (multipart/form-data field 'file').", param="file")
        if purpose not in FILE_PURPOSES:
            raise bad_request(
                f"purpose must be one of {', '.join(FILE_PURPOSES)}, not {purpose!r}.", param="purpose"
            )
        expires_in = _expires_after(form.get("expires_after[seconds]") or form.get("expires_after.seconds"))
        content = await upload.read()
        record = resource.add_file(upload.filename or "upload.jsonl", str(purpose), content, now)
        if expires_in is not None:
            record.expires_at = record.created_at + expires_in
        resource.persist()
        return _created(payloads.file_json(record), v1, f"{request.base_url}openai/files/{record.id}")

    if prefix == AUTHORING:

        @route("/files/import", "POST")
        async def import_file(request: Request) -> Response:
            _surface_checked(request)
            body = await _json_body(request)
            missing = [k for k in ("purpose", "filename", "content_url") if not body.get(k)]
            if missing:
                raise bad_request(f"{', '.join(missing)} required to import a file.", param=missing[0])
            if body["purpose"] not in FILE_PURPOSES:
                raise bad_request(f"purpose must be one of {', '.join(FILE_PURPOSES)}.", param="purpose")
            content, failure = b"", None
            try:
                async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
                    fetched = await client.get(str(body["content_url"]))
                fetched.raise_for_status()
                content = fetched.content
            except httpx.HTTPError as exc:
                failure = f"fileImportFailed: could not download {body['content_url']}: {exc}"
            now = resource.sync()
            record = resource.add_file(str(body["filename"]), str(body["purpose"]), content, now, failure)
            resource.persist()
            return _created(payloads.file_json(record), False, f"{request.base_url}openai/files/{record.id}")

    @route("/files", "GET")
    async def list_files(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        purpose = request.query_params.get("purpose")
        records = [f for f in state.files.values() if purpose in (None, f.purpose)]
        if request.query_params.get("order", "desc") == "desc":
            records.reverse()
        items = [payloads.file_json(f) for f in records]
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), _limit(request, 10000, 10000))
        )

    @route("/files/{file_id}", "GET")
    async def get_file(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        return JSONResponse(payloads.file_json(state.files[ident]))

    @route("/files/{file_id}", "DELETE")
    async def delete_file(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        resource.delete_file(ident)
        resource.persist()
        return JSONResponse({"object": "file", "id": ident, "deleted": True})

    @route("/files/{file_id}/content", "GET")
    async def file_content(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        media = "text/csv" if state.files[ident].filename.endswith(".csv") else "application/octet-stream"
        return Response(state.blob_path(ident).read_bytes(), media_type=media)

    @route("/fine_tuning/jobs", "POST")
    async def create(request: Request) -> Response:
        v1 = _surface_checked(request)
        body = await _json_body(request)
        now = resource.sync()
        failure = resource.faults.take("POST", "/fine_tuning/jobs", ("job_fail",))
        job = create_job(
            state,
            resource.settings.region,
            body,
            now,
            failure.message if failure else None,
            resource.settings.max_queued_jobs,
        )
        state.jobs[job.id] = job
        resource.persist()
        location = f"{request.base_url}openai/fine_tuning/jobs/{job.id}"
        return _created(payloads.job_json(job, now), v1, location)

    @route("/fine_tuning/jobs", "GET")
    async def list_jobs(request: Request) -> Response:
        _surface_checked(request)
        now = resource.sync()
        wanted = {
            key[len("metadata[") : -1]: value
            for key, value in request.query_params.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        # Newest first, in creation order (ties in created_at keep it).
        jobs = [
            j
            for j in reversed(state.jobs.values())
            if all((j.metadata or {}).get(k) == v for k, v in wanted.items())
        ]
        items = [payloads.job_json(j, now) for j in jobs]
        return JSONResponse(payloads.page(items, request.query_params.get("after"), _limit(request, 20, 100)))

    @route("/fine_tuning/jobs/{job_id}", "GET")
    async def get_job(request: Request) -> Response:
        _surface_checked(request)
        now = resource.sync()
        return JSONResponse(payloads.job_json(_job(resource, request), now))

    if prefix == AUTHORING:

        @route("/fine_tuning/jobs/{job_id}", "DELETE")
        async def delete_job(request: Request) -> Response:
            _surface_checked(request)
            resource.sync()
            job = _job(resource, request)
            if job.status not in lifecycle.TERMINAL:
                raise ApiError(
                    409, "conflict", f"Job {job.id} is {job.status}; cancel it before deleting it."
                )
            del state.jobs[job.id]
            resource.persist()
            return Response(status_code=204)

    def transition(name: str, act: Callable[[Any, JobRecord, float], str | None]) -> None:
        @route(f"/fine_tuning/jobs/{{job_id}}/{name}", "POST")
        async def handler(request: Request) -> Response:
            _surface_checked(request)
            now = resource.sync()
            job = _job(resource, request)
            refusal = act(state, job, now)
            if refusal is not None:
                raise ApiError(400, "unexpectedEntityState", refusal)
            resource.persist()
            return JSONResponse(payloads.job_json(job, now))

    transition("cancel", lifecycle.cancel)
    transition("pause", lifecycle.pause)
    transition("resume", lifecycle.resume)

    @route("/fine_tuning/jobs/{job_id}/events", "GET")
    async def events(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        job = _job(resource, request)
        newest_first = sorted(enumerate(job.events), key=lambda p: (p[1].created_at, p[0]), reverse=True)
        items = [payloads.event_json(e) for _, e in newest_first]
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), _limit(request, 20, 10000))
        )

    @route("/fine_tuning/jobs/{job_id}/checkpoints", "GET")
    async def checkpoints(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        job = _job(resource, request)
        items = [payloads.checkpoint_json(job, c) for c in reversed(job.checkpoints)]
        return JSONResponse(payloads.page(items, request.query_params.get("after"), _limit(request, 10, 100)))

    @route("/models", "GET")
    async def list_models(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        items = [payloads.base_model_json(row, resource.settings.region) for row in load_matrix().rows]
        items += [
            payloads.fine_tuned_model_json(j, j.fine_tuned_model)
            for j in sorted(state.jobs.values(), key=lambda j: j.created_at)
            if j.fine_tuned_model is not None
        ]
        return JSONResponse({"object": "list", "data": items})

    @route("/models/{model_id}", "GET")
    async def get_model(request: Request) -> Response:
        _surface_checked(request)
        resource.sync()
        ident = request.path_params["model_id"]
        for row in load_matrix().rows:
            if row.azure_base_model == ident:
                return JSONResponse(payloads.base_model_json(row, resource.settings.region))
        for job in state.jobs.values():
            produced = [job.fine_tuned_model, *(c.fine_tuned_model_checkpoint for c in job.checkpoints)]
            if ident in produced:
                return JSONResponse(payloads.fine_tuned_model_json(job, ident))
        raise not_found("Model", ident)

    async def chat_completion(request: Request, deployment: str, body: dict[str, Any]) -> Response:
        now = resource.sync()
        resource.stats.record_chat(deployment)
        answer = chat.completion(state, deployment, body, int(now), f"chatcmpl-{secrets.token_hex(12)}")
        return JSONResponse(answer)

    if prefix == AUTHORING:

        @route("/deployments/{deployment}/chat/completions", "POST")
        async def deployment_chat(request: Request) -> Response:
            _surface_checked(request)
            return await chat_completion(
                request, request.path_params["deployment"], await _json_body(request)
            )

    else:

        @route("/chat/completions", "POST")
        async def v1_chat(request: Request) -> Response:
            body = await _json_body(request)
            model = body.get("model")
            if not isinstance(model, str) or not model:
                raise bad_request("model (the deployment name) is required.", param="model")
            return await chat_completion(request, model, body)
