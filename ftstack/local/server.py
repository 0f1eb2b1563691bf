"""Running the local Azure: `python -m ftstack.local.server --home DIR [--host 127.0.0.1] [--port 0]
[--time-scale 600] [--subscription-id ID]`.

The bearer token is FTSTACK_LOCAL_AZURE_TOKEN when set, else the one in DIR/token (generated on first
start, mode 0600). Once listening, the server writes DIR/server.json atomically:
`{"url": "http://127.0.0.1:PORT", "pid": PID, "token_file": "DIR/token"}`. SIGTERM or SIGINT saves the
state, removes server.json and exits 0. `running_local_azure` serves it in a background thread (tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from ftstack.emulator.slow_clients import uvicorn_options
from ftstack.local.app import LocalAzureApp, LocalAzureSettings, create_local_azure
from ftstack.local.arm.handlers import DEFAULT_SUBSCRIPTION, Knobs

TOKEN_ENV = "FTSTACK_LOCAL_AZURE_TOKEN"
TOKEN_FILE = "token"
SERVER_FILE = "server.json"
DEFAULT_TIME_SCALE = 600.0
STARTUP_TIMEOUT_SECONDS = 30.0
CLIENT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RunningLocalAzure:
    """A local Azure that accepts requests: its base URL, token and app (for tests that look inside)."""

    url: str
    token: str
    app: LocalAzureApp


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises a caught SIGTERM after shutdown (the process would die by the signal, not exit 0);
        # here a signal only asks for a graceful stop.
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(_signum: int, _frame: object) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def resolve_token(home: Path) -> str:
    """The bearer token: FTSTACK_LOCAL_AZURE_TOKEN, else the one stored in `home/token` (created once).
    The token file always holds the token in use, so that `server.json` readers find it."""
    path = home / TOKEN_FILE
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token and path.exists():
        token = path.read_text(encoding="utf-8").strip()
    if not token:
        token = secrets.token_urlsafe(32)
    if not path.exists() or path.read_text(encoding="utf-8").strip() != token:
        _write_private(path, token + "\n")
    return token


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _prepare(
    home: Path, host: str, port: int, time_scale: float, subscription: str, knobs: Knobs | None
) -> tuple[socket.socket, str, str, LocalAzureApp]:
    # Bind first: the port is known before the app is built, so endpoints carry the real URL.
    home.mkdir(parents=True, exist_ok=True)
    token = resolve_token(home)
    sock = _bind(host, port)
    url = _url(sock)
    app = create_local_azure(LocalAzureSettings(home, url, token, time_scale, subscription), knobs)
    return sock, url, token, app


async def _serve(server: _Server, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            raise RuntimeError("the local Azure stopped before it listened")
        await asyncio.sleep(0.01)
    on_ready()
    await task


def _config(app: LocalAzureApp) -> uvicorn.Config:
    # Clients that never finish their request headers are cut off like the emulator's.
    return uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, **uvicorn_options(CLIENT_TIMEOUT_SECONDS)
    )


def write_server_file(home: Path, url: str) -> Path:
    """Write `home/server.json` atomically; returns its path."""
    target = home / SERVER_FILE
    partial = home / (SERVER_FILE + ".partial")
    info = {"url": url, "pid": os.getpid(), "token_file": str(home / TOKEN_FILE)}
    partial.write_text(json.dumps(info) + "\n", encoding="utf-8")
    partial.replace(target)
    return target


def serve_forever(
    home: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    time_scale: float = DEFAULT_TIME_SCALE,
    subscription: str = DEFAULT_SUBSCRIPTION,
) -> None:
    """Serve in the foreground until SIGTERM or SIGINT; server.json exists while it listens."""
    sock, url, _, app = _prepare(home, host, port, time_scale, subscription, None)
    server = _Server(_config(app))

    def announce() -> None:
        write_server_file(home, url)

    try:
        asyncio.run(_serve(server, sock, announce))
    finally:
        with contextlib.suppress(OSError, ValueError):
            info = json.loads((home / SERVER_FILE).read_text(encoding="utf-8"))
            if info.get("pid") == os.getpid():
                (home / SERVER_FILE).unlink()


@contextmanager
def running_local_azure(
    home: Path,
    time_scale: float = DEFAULT_TIME_SCALE,
    host: str = "127.0.0.1",
    port: int = 0,
    subscription: str = DEFAULT_SUBSCRIPTION,
    knobs: Knobs | None = None,
) -> Iterator[RunningLocalAzure]:
    """Serve a local Azure on `home` in a background thread; yields it once it accepts requests and saves
    its state when the block ends."""
    sock, url, token, app = _prepare(home, host, port, time_scale, subscription, knobs)
    server = _Server(_config(app))
    ready = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(_serve(server, sock, ready.set)), name="ftstack-local-azure", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not ready.wait(0.01):
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the local Azure did not start on {url}")
    try:
        yield RunningLocalAzure(url, token, app)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """The command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m ftstack.local.server",
        description="The local Azure: an ARM-like management plane and the Azure OpenAI data plane of many "
        "accounts, in one process.",
    )
    parser.add_argument("--home", type=Path, required=True, help="state directory (ARM database, accounts)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (see DIR/server.json)")
    parser.add_argument("--time-scale", type=_positive, default=DEFAULT_TIME_SCALE, help="simulated s per s")
    parser.add_argument("--subscription-id", default=DEFAULT_SUBSCRIPTION)
    args = parser.parse_args(argv)
    try:
        serve_forever(args.home.resolve(), args.host, args.port, args.time_scale, args.subscription_id)
    except (OSError, ValueError) as exc:
        print(f"ftstack local Azure: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
