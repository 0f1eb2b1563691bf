"""Routes of `/fine_tuning/jobs`: create, list, get, delete, cancel, pause, resume, events, checkpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ftstack.emulator import lifecycle, payloads
from ftstack.emulator.errors import ApiError, not_found
from ftstack.emulator.job_requests import create_job, validations_needed
from ftstack.emulator.resource import EmulatorResource
from ftstack.emulator.state import JobRecord
from ftstack.emulator.surface import (
    AUTHORING,
    CHECKPOINTS_SINCE,
    created,
    json_body,
    page_limit,
    registrar,
    require_version,
    surface_checked,
)
from ftstack.emulator.training_files import Verdict
from ftstack.emulator.validation import VALIDATIONS


def _job(resource: EmulatorResource, request: Request) -> JobRecord:
    ident = request.path_params["job_id"]
    job = resource.state.jobs.get(ident)
    if job is None:
        raise not_found("Fine-tuning job", ident)
    return job


def add_job_routes(app: FastAPI, resource: EmulatorResource, prefix: str) -> None:
    """Register the fine-tuning job routes under `prefix`."""
    state = resource.state
    route = registrar(app, prefix)

    @route("/fine_tuning/jobs", "POST")
    async def create(request: Request) -> Response:
        v1 = surface_checked(request)
        body = await json_body(request)
        resource.sync()
        # Validate the data for the named model off the event loop (a cached verdict when the same
        # content was validated for the same model before), then create with the state as it is now.
        verdicts: dict[str, Verdict] = {}
        for needed in validations_needed(state, body):
            record = state.files[needed.file_id]
            future = VALIDATIONS.verdict(
                state.blob_path(record.id), record.sha256 or record.id, needed.row, needed.method
            )
            verdicts[needed.file_id] = await asyncio.wrap_future(future)
        now = resource.sync()
        failure = resource.faults.take("POST", "/fine_tuning/jobs", ("job_fail",))
        job = create_job(
            state,
            resource.settings.region,
            body,
            now,
            verdicts,
            failure.message if failure else None,
            resource.settings.max_queued_jobs,
        )
        state.jobs[job.id] = job
        resource.persist()
        location = f"{request.base_url}openai/fine_tuning/jobs/{job.id}"
        return created(payloads.job_json(job, now), v1, location)

    @route("/fine_tuning/jobs", "GET")
    async def list_jobs(request: Request) -> Response:
        surface_checked(request)
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
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), page_limit(request, 20, 100))
        )

    @route("/fine_tuning/jobs/{job_id}", "GET")
    async def get_job(request: Request) -> Response:
        surface_checked(request)
        now = resource.sync()
        return JSONResponse(payloads.job_json(_job(resource, request), now))

    if prefix == AUTHORING:

        @route("/fine_tuning/jobs/{job_id}", "DELETE")
        async def delete_job(request: Request) -> Response:
            surface_checked(request)
            resource.sync()
            job = _job(resource, request)
            if job.status not in lifecycle.TERMINAL:
                raise ApiError(
                    409, "conflict", f"Job {job.id} is {job.status}; cancel it before deleting it."
                )
            del state.jobs[job.id]
            resource.persist()
            return Response(status_code=204)

    def transition(name: str, act: Callable[[Any, JobRecord, float], str | None], preview: bool) -> None:
        @route(f"/fine_tuning/jobs/{{job_id}}/{name}", "POST")
        async def handler(request: Request) -> Response:
            surface_checked(request)
            require_version(request, preview=preview)
            now = resource.sync()
            job = _job(resource, request)
            refusal = act(state, job, now)
            if refusal is not None:
                raise ApiError(400, "unexpectedEntityState", refusal)
            resource.persist()
            return JSONResponse(payloads.job_json(job, now))

    transition("cancel", lifecycle.cancel, preview=False)
    transition("pause", lifecycle.pause, preview=True)
    transition("resume", lifecycle.resume, preview=True)

    @route("/fine_tuning/jobs/{job_id}/events", "GET")
    async def events(request: Request) -> Response:
        surface_checked(request)
        resource.sync()
        job = _job(resource, request)
        newest_first = sorted(enumerate(job.events), key=lambda p: (p[1].created_at, p[0]), reverse=True)
        items = [payloads.event_json(e) for _, e in newest_first]
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), page_limit(request, 20, 10000))
        )

    @route("/fine_tuning/jobs/{job_id}/checkpoints", "GET")
    async def checkpoints(request: Request) -> Response:
        surface_checked(request)
        require_version(request, since=CHECKPOINTS_SINCE)
        resource.sync()
        job = _job(resource, request)
        items = [payloads.checkpoint_json(job, c) for c in reversed(job.checkpoints)]
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), page_limit(request, 10, 100))
        )
