"""`POST /files/import`: a file downloaded from a URL. Off unless the operator lists the hosts it may
download from (`--allow-import-from HOST`): the emulator would otherwise fetch any URL for any client,
loopback-only servers included, and serve the content back. Only http(s) to a listed host, no credentials
in the URL, no redirects (a listed host could send the download elsewhere), no proxy or netrc from the
environment; the download streams to the blob within a size and a time cap."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ftstack.emulator.errors import ApiError, bad_request
from ftstack.emulator.host_check import host_name


@dataclass(frozen=True)
class Download:
    """What an import brought: the content's size and sha256, or why it failed (`failure`)."""

    size: int
    sha256: str
    failure: str | None = None


def checked_url(url: str, hosts: list[str]) -> str:
    """`url` when the emulator may download it; a 403 when importing is off, a 400 for another URL."""
    if not hosts:
        raise ApiError(
            403,
            "fileImportDisabled",
            "File import is off in this emulator; start it with --allow-import-from HOST to import from HOST.",
            "content_url",
        )
    try:
        parts = urlsplit(url)
        host = host_name(parts.hostname or "")
        _ = parts.port  # a malformed port raises here
    except ValueError as exc:
        raise bad_request(f"content_url is not a URL: {url[:80]!r}.", param="content_url") from exc
    if parts.scheme not in ("http", "https"):
        raise bad_request("content_url must be an http or https URL.", param="content_url")
    if parts.username is not None or parts.password is not None:
        raise bad_request("content_url must not carry credentials.", param="content_url")
    if host not in hosts:
        raise bad_request(
            f"content_url's host {host[:80]!r} is not one this emulator may import from "
            f"({', '.join(hosts)}).",
            param="content_url",
        )
    return url


async def download(url: str, target: Path, max_bytes: int, timeout: float) -> Download:
    """Stream `url` into `target` (created anew, never through a symlink) within `max_bytes` and
    `timeout` seconds; a failed download leaves `target` empty and says why."""
    digest = hashlib.sha256()
    size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(target, flags, 0o600), "wb") as blob:
        try:
            async with asyncio.timeout(timeout):
                async with (
                    httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
                    client.stream("GET", url) as answer,
                ):
                    if answer.is_redirect:
                        raise _RefusedError(f"it answered {answer.status_code} (a redirect, not followed)")
                    answer.raise_for_status()
                    declared = answer.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise _RefusedError(f"it is larger than {max_bytes} bytes")
                    async for chunk in answer.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise _RefusedError(f"it is larger than {max_bytes} bytes")
                        digest.update(chunk)
                        await asyncio.to_thread(blob.write, chunk)
        except (TimeoutError, httpx.HTTPError, _RefusedError) as exc:
            blob.seek(0)
            blob.truncate()
            reason = f"it took longer than {timeout:g} seconds" if isinstance(exc, TimeoutError) else exc
            return Download(
                0,
                hashlib.sha256(b"").hexdigest(),
                f"fileImportFailed: could not download {url[:200]}: {reason}",
            )
    return Download(size, digest.hexdigest())


class _RefusedError(Exception):
    """A download refused part way."""
