"""The emulator against a hostile neighbour: every route needs a credential, a web page can neither reach it
through DNS rebinding nor call its admin routes cross-site, `/files/import` is no open proxy, memory and
counters stay bounded, file content is never rendered by a browser, and the clock takes only sane jumps."""

from __future__ import annotations

import hmac
import http.server
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from emulator_harness import API_VERSION, KEY, admin, azure_client, wait_until
from pydantic import ValidationError

from ftstack.emulator import auth, running_emulator
from ftstack.emulator.host_check import HostPolicy
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.stats import MAX_KEYS

pytestmark = pytest.mark.e2e

HEADERS = {"api-key": KEY}
Q = {"api-version": API_VERSION}
ADMIN_ROUTES = [
    ("GET", "/emulator/health"),
    ("GET", "/emulator/stats"),
    ("DELETE", "/emulator/stats"),
    ("GET", "/emulator/faults"),
    ("POST", "/emulator/faults"),
    ("DELETE", "/emulator/faults"),
    ("GET", "/emulator/deployments"),
    ("PUT", "/emulator/deployments/bot"),
    ("DELETE", "/emulator/deployments/bot"),
    ("POST", "/emulator/clock"),
    ("GET", "/no/such/route"),
]


# --- auth on every route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_needs_a_credential_even_without_a_configured_token(
    fast_emulator: str, method: str, path: str
) -> None:
    answer = httpx.request(method, fast_emulator + path, json={"advance_seconds": 1}, timeout=10)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_cross_site_text_plain_post_cannot_arm_a_fault(fast_emulator: str) -> None:
    rule = b'{"route": "*", "kind": "500", "times": null}'
    # What a web page can send without a preflight: no credential header, a "simple" content type.
    anonymous = httpx.post(
        f"{fast_emulator}/emulator/faults", content=rule, headers={"content-type": "text/plain"}
    )
    with_key = httpx.post(
        f"{fast_emulator}/emulator/faults", content=rule, headers={**HEADERS, "content-type": "text/plain"}
    )

    assert anonymous.status_code == 401
    assert with_key.status_code == 415 and with_key.json()["error"]["code"] == "unsupportedMediaType"
    assert admin(fast_emulator, "GET", "/emulator/faults")["faults"] == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"advance_seconds=86400"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
        ),
        ("text/plain;charset=UTF-8", b'{"advance_seconds": 86400}'),
        (None, b'{"advance_seconds": 86400}'),
    ],
    ids=["form", "multipart", "text-plain", "no-content-type"],
)
def test_admin_routes_read_only_json(fast_emulator: str, content_type: str | None, body: bytes) -> None:
    headers = dict(HEADERS) | ({"content-type": content_type} if content_type else {})
    before = admin(fast_emulator, "POST", "/emulator/clock", {"advance_seconds": 0})["simulated_now"]

    answer = httpx.post(f"{fast_emulator}/emulator/clock", content=body, headers=headers)

    assert answer.status_code == 415
    after = admin(fast_emulator, "POST", "/emulator/clock", {"advance_seconds": 0})["simulated_now"]
    assert after - before < 3600


def test_a_configured_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    with running_emulator(token="s3cret") as url:
        wrong = httpx.get(f"{url}/openai/v1/models", headers={"api-key": "s3cres"})
        longer = httpx.get(f"{url}/openai/v1/models", headers={"Authorization": "Bearer s3cret-and-more"})
        right = httpx.get(f"{url}/emulator/stats", headers={"Authorization": "Bearer s3cret"})

    assert (wrong.status_code, longer.status_code, right.status_code) == (401, 401, 200)
    assert compared == [(b"s3cres", b"s3cret"), (b"s3cret-and-more", b"s3cret"), (b"s3cret", b"s3cret")]


# --- the Host header ---------------------------------------------------------------------------------------


def test_a_request_through_a_rebound_name_is_refused(fast_emulator: str) -> None:
    port = fast_emulator.rsplit(":", 1)[1]
    rebound = httpx.get(
        f"{fast_emulator}/openai/v1/files", headers={**HEADERS, "Host": f"attacker.example:{port}"}
    )
    by_name = httpx.get(f"{fast_emulator}/openai/v1/files", headers={**HEADERS, "Host": f"localhost:{port}"})

    assert rebound.status_code == 400 and rebound.json()["error"]["code"] == "invalidHost"
    assert "attacker.example" in rebound.json()["error"]["message"]
    assert by_name.status_code == 200


def test_a_wildcard_listener_accepts_addresses_and_allowed_names_but_no_other_name() -> None:
    policy = HostPolicy("0.0.0.0", ["emulator"])

    accepted = [
        h for h in ("10.1.2.3:8765", "[fe80::1]:80", "localhost:1", "Emulator:8765") if policy.accepts(h)
    ]
    refused = [h for h in ("evil.example:8765", "emulator.evil.example", "", None) if not policy.accepts(h)]

    assert accepted == ["10.1.2.3:8765", "[fe80::1]:80", "localhost:1", "Emulator:8765"]
    assert len(refused) == 4


def test_a_loopback_listener_accepts_addresses_and_localhost_but_no_other_name() -> None:
    policy = HostPolicy("127.0.0.1")

    assert policy.accepts("127.0.0.1:8765") and policy.accepts("localhost") and policy.accepts("[::1]:8765")
    assert not policy.accepts("localhost.attacker.example") and not policy.accepts("127.0.0.1.nip.io")


# --- /files/import ---------------------------------------------------------------------------------------


@dataclass
class WebServer:
    """A loopback web server answering `routes` (path -> status, headers, body, delay); it records paths."""

    url: str
    seen: list[str] = field(default_factory=list)


@pytest.fixture
def web_server(training_file: Path) -> Iterator[WebServer]:
    """Serves `/train.jsonl`, `/big` (5,000 bytes), `/slow` (after 3 s), `/redirect` (to `/train.jsonl`)."""
    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = {
        "/train.jsonl": (200, {}, training_file.read_bytes(), 0.0),
        "/big": (200, {}, b"x" * 5000, 0.0),
        "/slow": (200, {}, b"{}", 3.0),
        "/redirect": (302, {"Location": "/train.jsonl"}, b"", 0.0),
    }
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            status, headers, body, delay = routes.get(self.path, (404, {}, b"", 0.0))
            time.sleep(delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield WebServer(f"http://127.0.0.1:{server.server_address[1]}", seen)
    server.shutdown()
    thread.join()


def _import(url: str, content_url: str) -> httpx.Response:
    body = {"purpose": "fine-tune", "filename": "imported.jsonl", "content_url": content_url}
    return httpx.post(f"{url}/openai/files/import", params=Q, headers=HEADERS, json=body, timeout=10)


def _settled(url: str, file_id: str) -> dict[str, object]:
    client = azure_client(url)
    found = wait_until(lambda: (f := client.files.retrieve(file_id)).status in ("processed", "error") and f)
    return dict(found.model_dump())


def test_file_import_is_off_unless_hosts_are_listed(fast_emulator: str, web_server: WebServer) -> None:
    answer = _import(fast_emulator, f"{web_server.url}/train.jsonl")

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "fileImportDisabled"
    assert "--allow-import-from" in answer.json()["error"]["message"]
    assert web_server.seen == []


def test_file_import_fetches_nothing_from_a_host_that_is_not_listed(web_server: WebServer) -> None:
    with running_emulator(time_scale=5000, import_hosts=["data.example.com"]) as url:
        answer = _import(url, f"{web_server.url}/train.jsonl")

    assert answer.status_code == 400 and answer.json()["error"]["param"] == "content_url"
    assert web_server.seen == []


def test_an_import_redirect_is_not_followed(web_server: WebServer) -> None:
    with running_emulator(time_scale=5000, import_hosts=["127.0.0.1"]) as url:
        settled = _settled(url, _import(url, f"{web_server.url}/redirect").json()["id"])

    assert settled["status"] == "error" and "redirect, not followed" in str(settled["status_details"])
    assert web_server.seen == ["/redirect"]


def test_an_import_past_the_size_cap_fails_and_keeps_nothing(web_server: WebServer) -> None:
    with running_emulator(time_scale=5000, import_hosts=["127.0.0.1"], import_max_bytes=1000) as url:
        file_id = _import(url, f"{web_server.url}/big").json()["id"]
        settled = _settled(url, file_id)
        content = httpx.get(f"{url}/openai/v1/files/{file_id}/content", headers=HEADERS).content

    assert settled["status"] == "error" and "larger than 1000 bytes" in str(settled["status_details"])
    assert settled["bytes"] == 0 and content == b""


def test_an_import_past_the_time_cap_fails_promptly(web_server: WebServer) -> None:
    with running_emulator(time_scale=5000, import_hosts=["127.0.0.1"], import_timeout_seconds=0.3) as url:
        started = time.monotonic()
        answer = _import(url, f"{web_server.url}/slow")
        took = time.monotonic() - started
        settled = _settled(url, answer.json()["id"])

    assert took < 2.5
    assert settled["status"] == "error" and "fileImportFailed" in str(settled["status_details"])


# --- bounded memory, bounded counters --------------------------------------------------------------------


def _chat(url: str, **fields: object) -> httpx.Response:
    body = {"model": "gpt-4o-mini-2024-07-18", "messages": [{"role": "user", "content": "hi"}], **fields}
    return httpx.post(f"{url}/openai/v1/chat/completions", headers=HEADERS, json=body, timeout=10)


def test_chat_refuses_a_huge_n_at_once_and_answers_up_to_128_choices(fast_emulator: str) -> None:
    started = time.monotonic()
    huge = _chat(fast_emulator, n=1_000_000)
    took = time.monotonic() - started
    most = _chat(fast_emulator, n=128)

    assert huge.status_code == 400 and huge.json()["error"]["param"] == "n" and took < 1.0
    assert most.status_code == 200 and len(most.json()["choices"]) == 128


def test_max_tokens_past_the_models_output_limit_is_refused(fast_emulator: str) -> None:
    # gpt-4o-mini (2024-07-18) produces at most 16,384 output tokens.
    over = _chat(fast_emulator, max_tokens=16_385)
    at = _chat(fast_emulator, max_tokens=16_384)

    assert over.status_code == 400 and "16384" in over.json()["error"]["message"]
    assert at.status_code == 200


def _raw(port: int, head: bytes, body: bytes = b"", wait: float = 5.0) -> bytes:
    """Send `head` and `body` on a fresh connection; what the server answers before it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head + body)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_an_upload_declaring_more_than_512_mb_is_refused_before_its_body_is_read(fast_emulator: str) -> None:
    head = (
        b"POST /openai/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\napi-key: test-key\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 629145600\r\n\r\n"
    )

    answer = _raw(_port(fast_emulator), head)

    assert answer.startswith(b"HTTP/1.1 413") and b"requestEntityTooLarge" in answer


def test_an_upload_past_the_file_cap_is_refused_and_leaves_no_blob(tmp_path: Path) -> None:
    with running_emulator(time_scale=5000, state_dir=tmp_path, max_file_bytes=1024 * 1024) as url:
        answer = httpx.post(
            f"{url}/openai/v1/files",
            headers=HEADERS,
            data={"purpose": "fine-tune"},
            files={"file": ("big.jsonl", b"x" * (1024 * 1024 + 1))},
            timeout=30,
        )
        listed = httpx.get(f"{url}/openai/v1/files", headers=HEADERS).json()["data"]

    assert answer.status_code == 413 and answer.json()["error"]["param"] == "file"
    assert listed == [] and list((tmp_path / "blobs").iterdir()) == []


def test_requests_without_a_credential_are_not_counted(fast_emulator: str) -> None:
    admin(fast_emulator, "DELETE", "/emulator/stats")
    with httpx.Client(base_url=fast_emulator) as http:
        for i in range(200):
            http.get(f"/openai/v1/files/file-{i}")

    assert admin(fast_emulator, "GET", "/emulator/stats")["total"] == 0


def test_made_up_paths_and_deployments_do_not_grow_the_counters_without_end(fast_emulator: str) -> None:
    admin(fast_emulator, "DELETE", "/emulator/stats")
    with httpx.Client(base_url=fast_emulator, headers=HEADERS) as http:
        for i in range(MAX_KEYS + 100):
            http.get(f"/openai/v1/made-up-{i}")
            http.post("/openai/v1/chat/completions", json={"model": f"d{i}", "messages": [{"role": "user"}]})

    stats = admin(fast_emulator, "GET", "/emulator/stats")
    assert (
        len(stats["routes"]) <= MAX_KEYS + 1 and len(stats["chat_completions_by_deployment"]) <= MAX_KEYS + 1
    )
    assert stats["total"] == 2 * (MAX_KEYS + 100)


# --- serving file content --------------------------------------------------------------------------------


def test_file_content_is_an_attachment_that_is_never_sniffed(fast_emulator: str) -> None:
    name = "page <script>;ü.html"
    uploaded = httpx.post(
        f"{fast_emulator}/openai/files",
        params=Q,
        headers=HEADERS,
        data={"purpose": "assistants"},
        files={"file": (name, b"<html><script>alert(1)</script></html>")},
    ).json()

    answer = httpx.get(f"{fast_emulator}/openai/files/{uploaded['id']}/content", params=Q, headers=HEADERS)

    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-type"] == "application/octet-stream"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="page__script___.html"')
    assert disposition.endswith("filename*=UTF-8''page%20%3Cscript%3E%3B%C3%BC.html")
    assert answer.content == b"<html><script>alert(1)</script></html>"


# --- the clock -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"advance_seconds": NaN}', b'{"advance_seconds": Infinity}', b'{"advance_seconds": 1e999}',
     b'{"advance_seconds": 1e30}', b'{"advance_seconds": "NaN"}'],
    ids=["nan", "infinity", "overflow", "centuries", "nan-as-text"],
)  # fmt: skip
def test_a_refused_clock_jump_leaves_the_clock_and_later_uploads_intact(
    fast_emulator: str, training_file: Path, body: bytes
) -> None:
    refused = httpx.post(
        f"{fast_emulator}/emulator/clock",
        content=body,
        headers={**HEADERS, "content-type": "application/json"},
    )
    now = admin(fast_emulator, "POST", "/emulator/clock", {"advance_seconds": 0})["simulated_now"]
    uploaded = azure_client(fast_emulator).files.create(file=training_file.open("rb"), purpose="fine-tune")

    assert refused.status_code == 400
    assert abs(now - time.time()) < 10 * 24 * 3600
    assert isinstance(uploaded.created_at, int) and abs(uploaded.created_at - now) < 24 * 3600


def test_settings_refuse_an_infinite_or_nan_time_scale_and_an_empty_token() -> None:
    for bad in ({"time_scale": float("inf")}, {"time_scale": float("nan")}, {"token": ""}):
        with pytest.raises(ValidationError):
            EmulatorSettings(**bad)  # type: ignore[arg-type]


def test_a_client_that_leaves_mid_upload_leaves_no_blob_and_no_traceback(tmp_path: Path) -> None:
    logged: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = logged.append  # type: ignore[method-assign]
    logging.getLogger("uvicorn.error").addHandler(handler)
    head = (
        b"POST /openai/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\napi-key: k\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"messages": '
    )
    try:
        with running_emulator(state_dir=tmp_path) as url:
            with socket.create_connection(("127.0.0.1", _port(url))) as sock:
                sock.sendall(head)
                time.sleep(0.3)
            time.sleep(0.3)
            listed = httpx.get(f"{url}/openai/v1/files", headers=HEADERS).json()["data"]
    finally:
        logging.getLogger("uvicorn.error").removeHandler(handler)

    assert listed == [] and list((tmp_path / "blobs").iterdir()) == []
    assert [r.getMessage() for r in logged] == []
