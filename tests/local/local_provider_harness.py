"""A fake local Azure REST server and a launcher for the local provider plugin, for the provider's tests.

The fake stores what is PUT under /arm{resourceId}, answers GET and DELETE like ARM, adds the computed
properties a real account has (endpoint, provisioningState), records every request, and can be told to answer
the next matching requests with an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
TOKEN = "local-test-token"


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str


@dataclass
class FakeArm:
    """The fake local Azure: resources by id, the requests seen, and errors queued for the next requests."""

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[tuple[str, str, int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, method: str, path_part: str, status: int, code: str, message: str) -> None:
        """Answer the next `method` request whose path contains `path_part` with an ARM error."""
        with self.lock:
            self.faults.append((method, path_part, status, {"error": {"code": code, "message": message}}))

    def writes(self, method: str = "PUT") -> list[Recorded]:
        """The requests with this method."""
        return [r for r in self.requests if r.method == method]

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """The status and JSON body for one request."""
        with self.lock:
            for index, (fault_method, part, status, payload) in enumerate(self.faults):
                if fault_method == method and part in path:
                    del self.faults[index]
                    return status, payload
            if not path.startswith("/arm/"):
                return 404, {"error": {"code": "NotFound", "message": path}}
            resource_id = path[len("/arm") :]
            key = resource_id.lower()
            if method == "PUT":
                existed = key in self.resources
                self.resources[key] = _stored(resource_id, body)
                return (200 if existed else 201), self.resources[key]
            if method == "GET":
                if key not in self.resources:
                    return 404, {"error": {"code": "ResourceNotFound", "message": f"{resource_id} not found"}}
                return 200, self.resources[key]
            if method == "DELETE":
                return (200, None) if self.resources.pop(key, None) is not None else (204, None)
        return 405, {"error": {"code": "MethodNotAllowed", "message": method}}


def _stored(resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
    segments = resource_id.strip("/").split("/")
    providers = [i for i, s in enumerate(segments) if s.lower() == "providers"]
    arm_type = "/".join([segments[providers[-1] + 1], *segments[providers[-1] + 2 :: 2]]) if providers else ""
    properties = dict(body.get("properties") or {})
    properties["provisioningState"] = "Succeeded"
    if "Microsoft.CognitiveServices/accounts" in arm_type and "/deployments/" not in resource_id:
        subdomain = properties.get("customSubDomainName") or segments[-1]
        properties["endpoint"] = f"https://{subdomain}.openai.azure.com/"
    return {**body, "id": resource_id, "name": segments[-1], "type": arm_type, "properties": properties}


def serve_fake_arm() -> tuple[FakeArm, ThreadingHTTPServer, str]:
    """Start the fake on a free loopback port; (fake, server, base URL)."""
    fake = FakeArm()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            fake.requests.append(
                Recorded(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    body,
                    self.headers.get("Authorization", ""),
                )
            )
            status, payload = fake.answer(self.command, parts.path, body)
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status in (429, 503):
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_DELETE = _handle  # noqa: N815 (http.server handler names)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class Plugin:
    """A running plugin process and a stub connected to it."""

    process: subprocess.Popen[str]
    port: int
    stub: provider_pb2_grpc.ResourceProviderStub
    channel: grpc.Channel

    def stop(self) -> None:
        """Close the channel and end the process."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_plugin(url: str | None, token: str | None = TOKEN) -> Plugin:
    """Launch `python -m ftstack.local.provider` the way the engine does and connect to the port it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTSTACK_LOCAL_AZURE_")}
    if url is not None:
        env["FTSTACK_LOCAL_AZURE_URL"] = url
    if token is not None:
        env["FTSTACK_LOCAL_AZURE_TOKEN"] = token
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ftstack.local.provider",
            "--logtostderr",
            "-v=9",
            "--tracing",
            "x",
            "127.0.0.1:1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        raise AssertionError(
            f"the plugin printed {line!r} instead of its port; stderr: {process.stderr.read()}"
        )
    port = int(line)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)
    return Plugin(process, port, provider_pb2_grpc.ResourceProviderStub(channel), channel)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """A Struct holding `value`."""
    message = struct_pb2.Struct()
    message.update(value)
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct's contents."""
    return dict(json_format.MessageToDict(message))


def urn(token: str, name: str) -> str:
    """The URN the engine gives a resource of this type and name in a test stack."""
    return f"urn:pulumi:dev::ftstack::{token}::{name}"


def configure(stub: provider_pb2_grpc.ResourceProviderStub, **config: Any) -> provider_pb2.ConfigureResponse:
    """Configure the provider the way the engine does (type, args)."""
    response: provider_pb2.ConfigureResponse = stub.Configure(
        provider_pb2.ConfigureRequest(
            args=struct(config),
            acceptSecrets=True,
            acceptResources=True,
            type="pulumi:providers:azure-native",
            name="default",
        )
    )
    return response


def wait_for_exit(process: subprocess.Popen[str], seconds: float) -> int | None:
    """The exit code once the process ends within `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return code
        time.sleep(0.05)
    return None
