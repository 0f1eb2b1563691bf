"""Routes of `/models` (base models and this resource's fine-tuned models) and chat completions
(`/deployments/{deployment}/chat/completions`, or v1's `/chat/completions` with the deployment as model)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ftstack.catalog import load_matrix
from ftstack.emulator import chat, payloads
from ftstack.emulator.errors import bad_request, not_found
from ftstack.emulator.resource import EmulatorResource
from ftstack.emulator.surface import AUTHORING, json_body, registrar, surface_checked


def add_model_routes(app: FastAPI, resource: EmulatorResource, prefix: str) -> None:
    """Register the model and chat-completion routes under `prefix`."""
    state = resource.state
    route = registrar(app, prefix)

    @route("/models", "GET")
    async def list_models(request: Request) -> Response:
        surface_checked(request)
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
        surface_checked(request)
        resource.sync()
        ident = request.path_params["model_id"]
        for row in load_matrix().rows:
            if row.azure_base_model == ident:
                return JSONResponse(payloads.base_model_json(row, resource.settings.region))
        for job in state.jobs.values():
            if ident in job.produced_models():
                return JSONResponse(payloads.fine_tuned_model_json(job, ident))
        raise not_found("Model", ident)

    async def chat_completion(request: Request, deployment: str, body: dict[str, Any]) -> Response:
        now = resource.sync()
        resource.stats.record_chat(deployment)
        answer = chat.completion(
            state,
            deployment,
            body,
            int(now),
            f"chatcmpl-{secrets.token_hex(12)}",
            strict=resource.settings.strict_deployments,
        )
        return JSONResponse(answer)

    if prefix == AUTHORING:

        @route("/deployments/{deployment}/chat/completions", "POST")
        async def deployment_chat(request: Request) -> Response:
            surface_checked(request)
            return await chat_completion(request, request.path_params["deployment"], await json_body(request))

    else:

        @route("/chat/completions", "POST")
        async def v1_chat(request: Request) -> Response:
            body = await json_body(request)
            model = body.get("model")
            if not isinstance(model, str) or not model:
                raise bad_request("model (the deployment name) is required.", param="model")
            return await chat_completion(request, model, body)
