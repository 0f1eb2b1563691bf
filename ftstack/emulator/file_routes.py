"""Routes of `/files`: upload (multipart), import from a URL, list, get, content and delete."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from ftstack.emulator import payloads
from ftstack.emulator.errors import bad_request, not_found
from ftstack.emulator.resource import FILE_PURPOSES, EmulatorResource
from ftstack.emulator.surface import AUTHORING, created, json_body, page_limit, registrar, surface_checked
from ftstack.emulator.validation import store_content

# Seconds a file may be kept before it expires (`expires_after.seconds`): 14 to 30 days.
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


def add_file_routes(app: FastAPI, resource: EmulatorResource, prefix: str) -> None:
    """Register the file routes under `prefix`."""
    state = resource.state
    route = registrar(app, prefix)

    @route("/files", "POST")
    async def upload_file(request: Request) -> Response:
        v1 = surface_checked(request)
        form = await request.form()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, UploadFile):
            raise bad_request("file is required (multipart/form-data field 'file').", param="file")
        if purpose not in FILE_PURPOSES:
            raise bad_request(
                f"purpose must be one of {', '.join(FILE_PURPOSES)}, not {purpose!r}.", param="purpose"
            )
        expires_in = _expires_after(form.get("expires_after[seconds]") or form.get("expires_after.seconds"))
        ident = resource.new_file_id()
        # Copying (and hashing) a large upload would block every other request: a worker thread does it.
        size, sha256 = await asyncio.to_thread(store_content, upload.file, state.blob_path(ident))
        now = resource.sync()
        record = resource.add_file(ident, upload.filename or "upload.jsonl", str(purpose), size, sha256, now)
        await resource.settle_small(record)
        if expires_in is not None:
            record.expires_at = record.created_at + expires_in
        resource.persist()
        return created(payloads.file_json(record), v1, f"{request.base_url}openai/files/{record.id}")

    if prefix == AUTHORING:

        @route("/files/import", "POST")
        async def import_file(request: Request) -> Response:
            surface_checked(request)
            body = await json_body(request)
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
            ident = resource.new_file_id()
            state.write_blob(ident, content)
            record = resource.add_file(
                ident,
                str(body["filename"]),
                str(body["purpose"]),
                len(content),
                hashlib.sha256(content).hexdigest(),
                now,
                failure,
            )
            await resource.settle_small(record)
            resource.persist()
            return created(payloads.file_json(record), False, f"{request.base_url}openai/files/{record.id}")

    @route("/files", "GET")
    async def list_files(request: Request) -> Response:
        surface_checked(request)
        resource.sync()
        purpose = request.query_params.get("purpose")
        records = [f for f in state.files.values() if purpose in (None, f.purpose)]
        if request.query_params.get("order", "desc") == "desc":
            records.reverse()
        items = [payloads.file_json(f) for f in records]
        return JSONResponse(
            payloads.page(items, request.query_params.get("after"), page_limit(request, 10000, 10000))
        )

    @route("/files/{file_id}", "GET")
    async def get_file(request: Request) -> Response:
        surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        return JSONResponse(payloads.file_json(state.files[ident]))

    @route("/files/{file_id}", "DELETE")
    async def delete_file(request: Request) -> Response:
        surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        resource.delete_file(ident, resource.clock.now())
        resource.persist()
        return JSONResponse({"object": "file", "id": ident, "deleted": True})

    @route("/files/{file_id}/content", "GET")
    async def file_content(request: Request) -> Response:
        surface_checked(request)
        resource.sync()
        ident = request.path_params["file_id"]
        if ident not in state.files:
            raise not_found("File", ident)
        media = "text/csv" if state.files[ident].filename.endswith(".csv") else "application/octet-stream"
        return Response(state.blob_path(ident).read_bytes(), media_type=media)
