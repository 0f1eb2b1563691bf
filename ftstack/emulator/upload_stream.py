"""Reading a multipart file upload straight into its blob: the file part is written to disk as it arrives
(hashed on the way), never held in memory, and refused past the file-size limit; the small form fields
(`purpose`, `expires_after[...]`) are kept, each bounded, and must be UTF-8."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from ftstack.emulator.errors import ApiError, bad_request

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 16
# File data is handed to a worker thread in batches of about this size.
_WRITE_BATCH = 1 << 20


@dataclass
class StreamedUpload:
    """What an upload carried: the file's name, size and sha256 (its content is in the blob), the fields."""

    filename: str = "upload.jsonl"
    size: int = 0
    sha256: str = ""
    has_file: bool = False
    fields: dict[str, str] = field(default_factory=dict)


def _decoded(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"The multipart {what} is not UTF-8 (byte {exc.start} is invalid).") from exc


def _open_blob(target: Path) -> BinaryIO:
    """A new blob file (never an existing file, never through a symlink), private to this user."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(target, flags, 0o600), "wb")


class _Parts:
    """The parser's callbacks: headers and fields kept (bounded), file data queued for the writer."""

    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.upload = StreamedUpload()
        self.digest = hashlib.sha256()
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self._parts = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._in_file = False
        self._field_name = ""
        self._field = bytearray()

    def on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise bad_request(f"An upload has at most {MAX_PARTS} multipart parts.")
        self._disposition, self._in_file, self._field = b"", False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        if len(self._header_name) > MAX_FIELD_BYTES:
            raise bad_request("A multipart header is too long.")

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > MAX_FIELD_BYTES:
            raise bad_request("A multipart header is too long.")

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise bad_request('Every multipart part needs a Content-Disposition with a "name".')
        self._field_name = _decoded(options[b"name"], "part name")
        if b"filename" in options:
            if self._field_name != "file" or self.upload.has_file:
                raise bad_request("An upload carries one file, in the multipart part named 'file'.", "file")
            self.upload.has_file = True
            self.upload.filename = _decoded(options[b"filename"], "file name")[:255] or "upload.jsonl"
            self._in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._in_file:
            self._field += chunk
            if len(self._field) > MAX_FIELD_BYTES:
                raise bad_request(f"The multipart field '{self._field_name[:40]}' is too long.")
            return
        self.upload.size += len(chunk)
        if self.upload.size > self.max_file_bytes:
            raise ApiError(
                413,
                "requestEntityTooLarge",
                f"The file is larger than {self.max_file_bytes} bytes, the most one file may hold.",
                "file",
            )
        self.digest.update(chunk)
        self.pending.append(chunk)
        self.pending_bytes += len(chunk)

    def on_part_end(self) -> None:
        if not self._in_file:
            self.upload.fields.setdefault(self._field_name, _decoded(bytes(self._field), "field"))


async def receive_upload(request: Request, target: Path, max_file_bytes: int) -> StreamedUpload:
    """Stream a multipart upload's file part into `target`; its name, size, sha256 and the form fields.
    A 400 for a body that is not such an upload, a 413 past `max_file_bytes`; `target` is removed then."""
    media, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise bad_request(
            "An upload is multipart/form-data with a 'file' part and a 'purpose' field.", param="file"
        )
    parts = _Parts(max_file_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": parts.on_part_begin,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
        },
    )
    blob: BinaryIO | None = None
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if parts.pending and (blob is None or parts.pending_bytes >= _WRITE_BATCH):
                blob = blob or _open_blob(target)
                batch, parts.pending, parts.pending_bytes = b"".join(parts.pending), [], 0
                await asyncio.to_thread(blob.write, batch)
        parser.finalize()
        if parts.upload.has_file:
            blob = blob or _open_blob(target)
            blob.write(b"".join(parts.pending))
            parts.pending = []
    except FormParserError as exc:
        _discard(blob, target)
        raise bad_request("The multipart body is malformed.", param="file") from exc
    except BaseException:
        _discard(blob, target)
        raise
    if blob is not None:
        blob.close()
    parts.upload.sha256 = parts.digest.hexdigest()
    return parts.upload


def _discard(blob: BinaryIO | None, target: Path) -> None:
    if blob is not None:
        blob.close()
        target.unlink(missing_ok=True)
