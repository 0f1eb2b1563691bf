"""Admin routes under `/emulator/` (not part of Azure's API): health, request counts, fault rules,
deployments for chat completions, and a clock jump.

- `GET /emulator/health` -> `{"status": "ok", "region", "time_scale"}` (no auth needed)
- `GET /emulator/stats` -> `{"total", "routes": {"METHOD /path": n}, "chat_completions",
  "chat_completions_by_deployment"}`; `DELETE /emulator/stats` resets the counts
- `POST /emulator/faults` with one rule or a list, e.g. `{"route": "POST /files", "kind": "429",
  "times": 2, "retry_after": 1}` or `{"route": "POST /fine_tuning/jobs", "kind": "drop_after", "lag": 1.5}`;
  `GET` lists rules with counters and `late` (requests still to be processed); `DELETE` removes them all
- `PUT /emulator/deployments/{name}` with `{"model": "<base model, fine-tuned model or checkpoint>"}`;
  `GET /emulator/deployments`; `DELETE /emulator/deployments/{name}`
- `POST /emulator/clock` with `{"advance_seconds": N}` jumps simulated time forward (N a finite number
  of seconds from 0 to ten years)

Every admin route needs the emulator's token like the API routes, and the ones that take a body read
`application/json` only (`request_bodies.py`), so a web page cannot call them cross-site.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ftstack.emulator import chat
from ftstack.emulator.errors import ApiError, bad_request
from ftstack.emulator.faults import FaultRule
from ftstack.emulator.resource import EmulatorResource

# The longest clock jump one call may ask for: ten years of simulated time.
MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600
# Deployment names as Azure allows them: 1 to 64 letters, digits, `-`, `_` and `.`.
_DEPLOYMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_MODEL_CHARS = 256
# Fault rules one emulator holds at most.
MAX_FAULT_RULES = 256


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (ValueError, RecursionError) as exc:  # the body middleware refuses these first
        raise bad_request("The request body is not valid JSON.") from exc


def clock_jump(body: Any) -> float:
    """The seconds a clock-jump body asks for: a finite number from 0 to MAX_ADVANCE_SECONDS; a 400
    otherwise (a NaN or infinite jump would poison every later timestamp, and be saved)."""
    seconds = body.get("advance_seconds") if isinstance(body, dict) else None
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or not 0 <= seconds <= MAX_ADVANCE_SECONDS
    ):
        raise bad_request(
            f'the body must be {{"advance_seconds": <seconds, 0 to {MAX_ADVANCE_SECONDS}>}}.',
            param="advance_seconds",
        )
    return float(seconds)


def add_admin_routes(app: FastAPI, resource: EmulatorResource) -> None:
    """Register the `/emulator/` routes for `resource`."""
    state = resource.state

    async def health(_: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "region": resource.settings.region, "time_scale": resource.settings.time_scale}
        )

    async def stats(_: Request) -> Response:
        return JSONResponse(resource.stats.to_json())

    async def reset_stats(_: Request) -> Response:
        resource.stats.reset()
        return JSONResponse(resource.stats.to_json())

    async def add_faults(request: Request) -> Response:
        body = await _body(request)
        try:
            rules = [FaultRule.model_validate(r) for r in (body if isinstance(body, list) else [body])]
        except ValidationError as exc:
            raise bad_request(
                f"invalid fault rule: {exc.errors()[0]['msg']} at "
                f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}"
            ) from exc
        if len(resource.faults.to_json()) + len(rules) > MAX_FAULT_RULES:
            raise bad_request(f"an emulator holds at most {MAX_FAULT_RULES} fault rules; DELETE some first.")
        for rule in rules:
            resource.faults.add(rule)
        return JSONResponse({"faults": resource.faults.to_json(), "late": len(resource.faults.late)})

    async def list_faults(_: Request) -> Response:
        return JSONResponse({"faults": resource.faults.to_json(), "late": len(resource.faults.late)})

    async def clear_faults(_: Request) -> Response:
        resource.faults.clear()
        return JSONResponse({"faults": [], "late": len(resource.faults.late)})

    async def put_deployment(request: Request) -> Response:
        name = request.path_params["name"]
        if not _DEPLOYMENT_NAME.fullmatch(name):
            raise bad_request(
                "a deployment name has 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.",
                param="name",
            )
        body = await _body(request)
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str) or not model or len(model) > MAX_MODEL_CHARS:
            raise bad_request(
                'the body must be {"model": "<base model, fine-tuned model or checkpoint>"}.', param="model"
            )
        resource.sync()
        state.deployments[name] = model
        try:
            chat.resolve(state, name)
        except ApiError as exc:
            del state.deployments[name]
            raise bad_request(
                f"model '{model}' is not a base model, fine-tuned model or checkpoint of this resource.",
                param="model",
            ) from exc
        resource.persist()
        return JSONResponse({"name": name, "model": model})

    async def list_deployments(_: Request) -> Response:
        return JSONResponse({"data": [{"name": n, "model": m} for n, m in sorted(state.deployments.items())]})

    async def delete_deployment(request: Request) -> Response:
        state.deployments.pop(request.path_params["name"], None)
        resource.persist()
        return Response(status_code=204)

    async def advance_clock(request: Request) -> Response:
        resource.clock.advance(clock_jump(await _body(request)))
        now = resource.sync()
        resource.persist()
        return JSONResponse({"simulated_now": now})

    routes: list[tuple[str, str, Any]] = [
        ("/emulator/health", "GET", health),
        ("/emulator/stats", "GET", stats),
        ("/emulator/stats", "DELETE", reset_stats),
        ("/emulator/faults", "POST", add_faults),
        ("/emulator/faults", "GET", list_faults),
        ("/emulator/faults", "DELETE", clear_faults),
        ("/emulator/deployments/{name}", "PUT", put_deployment),
        ("/emulator/deployments", "GET", list_deployments),
        ("/emulator/deployments/{name}", "DELETE", delete_deployment),
        ("/emulator/clock", "POST", advance_clock),
    ]
    for path, method, handler in routes:
        app.add_api_route(path, handler, methods=[method], include_in_schema=False)
