"""Routes of `/files`: upload (multipart), import from a URL, list, get, content and delete."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from ftstack.emulator import payloads
from ftstack.emulator.errors import bad_request, not_found
from ftstack.emulator.file_import import checked_url, download
from ftstack.emulator.resource import FILE_PURPOSES, EmulatorResource
from ftstack.emulator.surface import AUTHORING, created, json_body, page_limit, registrar, surface_checked
from ftstack.emulator.upload_stream import receive_upload

# Seconds a file may be kept before it expires (`expires_after.seconds`): 14 to 30 days.
EXPIRY_SECONDS = (1_209_600, 2_592_000)
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
# Characters kept as they are in the plain `filename=` of a Content-Disposition (the rest become `_`).
_PLAIN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def _expires_after(raw: object) -> int | None:
    """Seconds after creation the file expires (`expires_after.seconds`, 14 to 30 days), if given."""
    if raw is None:
        return None
    text = str(raw).strip()
    low, high = EXPIRY_SECONDS
    if not _ASCII_DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise bad_request(
            f"expires_after.seconds must be a whole number of seconds from {low} (14 days) to {high} "
            f"(30 days), not {text[:40]!r}.",
            param="expires_after.seconds",
        )
    return int(text)


def _expires_anchor(raw: object) -> None:
    """A 400 unless `expires_after.anchor` is absent or `created_at`, the one anchor the service knows."""
    if raw is not None and raw != "created_at":
        raise bad_request(
            f"expires_after.anchor must be 'created_at', not {str(raw)[:40]!r}.", param="expires_after.anchor"
        )


def attachment(filename: str) -> str:
    """A Content-Disposition that makes a browser save the file, never show it (RFC 6266 and 5987)."""
    plain = _PLAIN_FILENAME.sub("_", filename)[:120] or "file"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename[:255], safe='')}"


def add_file_routes(app: FastAPI, resource: EmulatorResource, prefix: str) -> None:
    """Register the file routes under `prefix`."""
    state = resource.state
    settings = resource.settings
    route = registrar(app, prefix)

    @route("/files", "POST")
    async def upload_file(request: Request) -> Response:
        v1 = surface_checked(request)
        ident = resource.new_file_id()
        target = state.blob_path(ident)
        # The file part goes to its blob as it arrives (hashed on the way), never whole into memory.
        upload = await receive_upload(request, target, settings.max_file_bytes)
        try:
            purpose = upload.fields.get("purpose")
            if not upload.has_file:
                raise bad_request("file is required (multipart/form-data field 'file').", param="file")
            if purpose not in FILE_PURPOSES:
                raise bad_request(
                    f"purpose must be one of {', '.join(FILE_PURPOSES)}, not {str(purpose)[:40]!r}.",
                    param="purpose",
                )
            fields = upload.fields
            expires_in = _expires_after(
                fields.get("expires_after[seconds]") or fields.get("expires_after.seconds")
            )
            _expires_anchor(fields.get("expires_after[anchor]") or fields.get("expires_after.anchor"))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        now = resource.sync()
        record = resource.add_file(ident, upload.filename, str(purpose), upload.size, upload.sha256, now)
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
            if not isinstance(body["filename"], str) or not isinstance(body["content_url"], str):
                raise bad_request("filename and content_url must be strings.", param="content_url")
            url = checked_url(body["content_url"], settings.import_hosts)
            ident = resource.new_file_id()
            fetched = await download(
                url, state.blob_path(ident), settings.import_max_bytes, settings.import_timeout_seconds
            )
            now = resource.sync()
            record = resource.add_file(
                ident,
                body["filename"][:255],
                str(body["purpose"]),
                fetched.size,
                fetched.sha256,
                now,
                fetched.failure,
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
        record = state.files[ident]
        if not state.blob_path(ident).is_file():
            raise not_found("File content", ident)
        media = "text/csv" if record.filename.endswith(".csv") else "application/octet-stream"
        # Streamed from disk; never sniffed or shown inline by a browser (a file is whatever was uploaded).
        return FileResponse(
            state.blob_path(ident),
            media_type=media,
            headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": attachment(record.filename)},
        )
