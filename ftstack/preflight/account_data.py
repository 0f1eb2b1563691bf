"""The stack's account on the data plane: its fine-tuning files and jobs, read live (`GET /openai/files`,
`GET /openai/fine_tuning/jobs`) or from saved responses. An account the runner cannot reach (private
endpoint only, no role) is reported as not read, never as empty."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

from ftstack.data_plane import DEFAULT_API_VERSION
from ftstack.preflight.quota import AccountState, DataFile, FineTuningJobState

PAGE_LIMIT = 100
MAX_PAGES = 50  # 5,000 jobs: far past the 100 a resource may hold


class DataPlaneReads(Protocol):
    """Fills in an account's files and jobs."""

    def read(self, account: str, endpoint: str, state: AccountState) -> AccountState:
        """`state` with files and jobs, or with `unreadable` saying why they could not be read."""
        ...


class HttpDataPlane:
    """Reads the live data plane with a bearer token from `token` (Entra ID, or the local Azure's)."""

    def __init__(
        self, token: Callable[[], str], api_version: str = DEFAULT_API_VERSION, timeout: float = 20.0
    ):
        self._token = token
        self._api_version = api_version
        self._timeout = timeout

    def read(self, account: str, endpoint: str, state: AccountState) -> AccountState:
        """The account's files and jobs; `unreadable` when the data plane does not answer."""
        try:
            headers = {"Authorization": f"Bearer {self._token()}"}
            with httpx.Client(
                base_url=endpoint.rstrip("/") + "/openai", headers=headers, timeout=self._timeout
            ) as http:
                files = self._list(http, "/files", {"purpose": "fine-tune"})
                jobs = self._list(http, "/fine_tuning/jobs", {"limit": str(PAGE_LIMIT)})
        except (httpx.HTTPError, _RefusedError) as exc:
            return state.model_copy(
                update={"unreadable": f"the data plane of {account} did not answer ({exc})"}
            )
        except Exception as exc:  # a token provider's own failure: reported, not fatal
            return state.model_copy(
                update={"unreadable": f"no data-plane token for {account} ({type(exc).__name__})"}
            )
        return state.model_copy(update={"files": _files(files), "jobs": _jobs(jobs)})

    def _list(self, http: httpx.Client, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        query = {**params, "api-version": self._api_version}
        for _ in range(MAX_PAGES):
            answer = http.get(path, params=query)
            if answer.status_code != 200:
                raise _RefusedError(f"GET {path}: HTTP {answer.status_code}")
            body = answer.json()
            page = [d for d in body.get("data", []) if isinstance(d, dict)]
            out += page
            if not body.get("has_more") or not page:
                break
            query = {**query, "after": str(page[-1].get("id"))}
        return out


class RecordedDataPlane:
    """Reads `accounts/<name>/files.json` and `accounts/<name>/fine_tuning_jobs.json` from a recorded folder
    (saved `GET /openai/files` and `GET /openai/fine_tuning/jobs` bodies); missing files mean not recorded."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def read(self, account: str, endpoint: str, state: AccountState) -> AccountState:
        """The recorded files and jobs, or `unreadable` when they were not recorded."""
        base = self._folder / "accounts" / account
        files, jobs = _recorded(base / "files.json"), _recorded(base / "fine_tuning_jobs.json")
        if files is None or jobs is None:
            return state.model_copy(
                update={"unreadable": f"{base}/files.json and fine_tuning_jobs.json not recorded"}
            )
        return state.model_copy(update={"files": _files(files), "jobs": _jobs(jobs)})


class _RefusedError(Exception):
    """The data plane answered with an error status."""


def _recorded(path: Path) -> list[dict[str, Any]] | None:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [d for d in body.get("data", []) if isinstance(d, dict)] if isinstance(body, dict) else None


def _files(raw: list[dict[str, Any]]) -> list[DataFile]:
    return [
        DataFile(
            id=str(f.get("id", "")),
            filename=str(f.get("filename") or ""),
            bytes=int(f.get("bytes") or 0),
            status=f.get("status"),
        )
        for f in raw
    ]


def _jobs(raw: list[dict[str, Any]]) -> list[FineTuningJobState]:
    return [FineTuningJobState(id=str(j.get("id", "")), status=str(j.get("status") or "")) for j in raw]
