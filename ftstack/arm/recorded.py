"""Serve saved ARM responses to the real SDK client, for air-gapped runners and tests.

A folder holds one file per request, each the response body Azure answered (`{"value": [...]}` for lists),
e.g. saved with `az rest --method get --url <request URL>`, or an official REST-spec example file
(`{"parameters": ..., "responses": {"200": {"body": ...}}}`, whose 200 body is served):

- `<location>.json`: `GET .../locations/<location>/models` (ListLocationModels, for `matrix refresh`)
- `usages/<location>.json`: `GET .../locations/<location>/usages` (quota per usage name, for `preflight`)
- `modelCapacities/<model>-<version>.json`: `GET .../modelCapacities?modelName=&modelVersion=`
  (ListModelCapacities: available capacity per location and SKU)
- `accounts/<account>.json` and `accounts/<account>/deployments.json`: the stack's account and deployments

A request with no file gets a 404 (`NotRecorded`), which readers take as "not known", never as room.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport

_Route = tuple[re.Pattern[str], Callable[[re.Match[str], dict[str, str]], str]]
# Request path (and query) -> the recorded file, relative to the folder; locations, names and query values
# are lower case.
_ROUTES: list[_Route] = [
    (re.compile(r"/locations/(?P<loc>[^/]+)/models$", re.I), lambda m, q: f"{m['loc'].lower()}.json"),
    (re.compile(r"/locations/(?P<loc>[^/]+)/usages$", re.I), lambda m, q: f"usages/{m['loc'].lower()}.json"),
    (
        re.compile(r"/providers/Microsoft\.CognitiveServices/modelCapacities$", re.I),
        lambda m, q: f"modelCapacities/{q.get('modelname', '')}-{q.get('modelversion', '')}.json",
    ),
    (
        re.compile(r"/locations/(?P<loc>[^/]+)/modelCapacities$", re.I),
        lambda m, q: (
            f"modelCapacities/{m['loc'].lower()}/{q.get('modelname', '')}-{q.get('modelversion', '')}.json"
        ),
    ),
    (re.compile(r"/accounts/(?P<name>[^/]+)$", re.I), lambda m, q: f"accounts/{m['name'].lower()}.json"),
    (
        re.compile(r"/accounts/(?P<name>[^/]+)/deployments$", re.I),
        lambda m, q: f"accounts/{m['name'].lower()}/deployments.json",
    ),
]
_NOT_RECORDED = b'{"error": {"code": "NotRecorded", "message": "no recorded response"}}'


def recorded_file(url: str) -> str | None:
    """The file (relative to a recorded folder) that answers a request for `url`, if any route matches."""
    parts = urlparse(url)
    query = {k.lower(): v[0].lower() for k, v in parse_qs(parts.query).items()}
    for pattern, name in _ROUTES:
        match = pattern.search(parts.path)
        if match:
            return name(match, query)
    return None


def _body(raw: bytes) -> bytes:
    """The response body of a recorded file: an official REST-spec example gives its 200 response's body."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(doc, dict) and isinstance(doc.get("responses"), dict) and "200" in doc["responses"]:
        return json.dumps(doc["responses"]["200"].get("body", {})).encode()
    return raw


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
        name = recorded_file(request.url or "")
        response = requests.Response()
        response.request = request
        response.url = request.url or ""
        response.headers["Content-Type"] = "application/json"
        file = self.folder / name if name else None
        if file is not None and file.is_file():
            status, body = 200, _body(file.read_bytes())
        else:
            status, body = 404, _NOT_RECORDED
        response.status_code = status
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), status=status, headers=dict(response.headers), preload_content=False
        )
        return response

    def close(self) -> None:
        """Nothing to release."""


def recorded_transport(folder: Path) -> RequestsTransport:
    """An azure-core transport answering ARM reads from `folder` (see the module docstring for its layout)."""
    session = requests.Session()
    session.mount("https://", _FolderAdapter(folder))
    return RequestsTransport(session=session, session_owner=False)


class OfflineCredential:
    """A credential for recorded responses: hands out a placeholder token, never signs in."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A placeholder token valid for an hour."""
        import time

        return AccessToken("recorded", int(time.time()) + 3600)
