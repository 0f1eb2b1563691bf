"""Starting, finding and stopping the local Azure server (`python -m ftstack.local.server`), which runs in
the background across `ftstack local` commands and keeps its state in the workspace."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_SECONDS = 30.0
DEFAULT_TIME_SCALE = 600.0


class LocalAzureError(RuntimeError):
    """The local Azure server could not be started or reached."""


@dataclass(frozen=True)
class LocalAzure:
    """A running local Azure: where it listens, its bearer token and its process."""

    url: str
    token: str
    pid: int

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client for its ARM and admin routes."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=timeout
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def find(home: Path) -> LocalAzure | None:
    """The server running on `home`, if one answers its health check."""
    info_file = home / "server.json"
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        token = Path(info["token_file"]).read_text(encoding="utf-8").strip()
        azure = LocalAzure(str(info["url"]), token, int(info["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(azure.pid):
        return None
    try:
        with azure.client(timeout=5.0) as http:
            if http.get("/local/health").status_code == 200:
                return azure
    except httpx.HTTPError:
        return None
    return None


def ensure_running(home: Path, time_scale: float = DEFAULT_TIME_SCALE) -> LocalAzure:
    """The server on `home`, started in the background when none runs; its state is `home`'s."""
    running = find(home)
    if running is not None:
        return running
    home.mkdir(parents=True, exist_ok=True)
    (home / "server.json").unlink(missing_ok=True)
    log = (home / "server.log").open("ab")
    command = [sys.executable, "-m", "ftstack.local.server", "--home", str(home), "--port", "0"]
    command += ["--time-scale", f"{time_scale:g}"]
    env = {k: v for k, v in os.environ.items() if k != "FTSTACK_LOCAL_AZURE_TOKEN"}
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=env
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalAzureError(
                f"the local Azure server exited at start (code {process.returncode}); see {home / 'server.log'}"
            )
        found = find(home)
        if found is not None:
            return found
        time.sleep(0.1)
    process.terminate()
    raise LocalAzureError(
        f"the local Azure server did not start within {STARTUP_SECONDS:g} s; see {home / 'server.log'}"
    )


def stop(home: Path, timeout: float = 15.0) -> bool:
    """Stop the server on `home` (it saves its state first); False when none was running."""
    running = find(home)
    if running is None:
        return False
    os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(running.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(running.pid):
        os.kill(running.pid, signal.SIGKILL)
    return True
