"""Serve saved Models API responses to the real SDK client, for air-gapped runners and tests.

A folder holds one `<location>.json` per region, shaped like Azure's `ListLocationModels` response body
(`{"value": [...]}`), e.g. saved with `az rest --method get --url .../locations/<loc>/models?api-version=...`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport

_MODELS_PATH = re.compile(r"/locations/(?P<location>[^/]+)/models$", re.IGNORECASE)


class _FolderAdapter(requests.adapters.BaseAdapter):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        path = requests.utils.urlparse(request.url or "").path
        match = _MODELS_PATH.search(path)
        response = requests.Response()
        response.request = request
        response.url = request.url or ""
        response.headers["Content-Type"] = "application/json"
        file = self.folder / f"{match['location'].lower()}.json" if match else None
        if file is not None and file.is_file():
            status, body = 200, file.read_bytes()
        else:
            status, body = 404, b'{"error": {"code": "NotRecorded", "message": "no recorded response"}}'
        response.status_code = status
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), status=status, headers=dict(response.headers), preload_content=False
        )
        return response

    def close(self) -> None:
        """Nothing to release."""


def recorded_transport(folder: Path) -> RequestsTransport:
    """An azure-core transport answering Models API calls from `folder`."""
    session = requests.Session()
    session.mount("https://", _FolderAdapter(folder))
    return RequestsTransport(session=session, session_owner=False)


class OfflineCredential:
    """A credential for recorded responses: hands out a placeholder token, never signs in."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A placeholder token valid for an hour."""
        import time

        return AccessToken("recorded", int(time.time()) + 3600)
