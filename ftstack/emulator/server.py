"""Running the emulator on a real HTTP server (uvicorn): in a background thread for tests and demos,
or in the foreground for `ftstack emulator`."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from ftstack.emulator.app import create_app
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.slow_clients import uvicorn_options

STARTUP_TIMEOUT_SECONDS = 30.0


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Runs in a background thread; the caller owns signals.
        return


@contextmanager
def running_server(settings: EmulatorSettings, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the emulator in a background thread; yields its base URL once it accepts requests."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        **uvicorn_options(settings.client_timeout_seconds),  # slow clients are cut off
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="ftstack-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the emulator could not start on {host}:{port} (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(
                f"the emulator did not start on {host}:{port} within {STARTUP_TIMEOUT_SECONDS:g} s"
            )
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    shown_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    try:
        yield f"http://{shown_host}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)


@contextmanager
def running_emulator(**settings: Any) -> Iterator[str]:
    """Run an emulator on 127.0.0.1 with an ephemeral port; yields its base URL (`http://127.0.0.1:PORT`).
    Keyword arguments are EmulatorSettings fields (region, time_scale, token, faults, state_dir, ...)."""
    with running_server(EmulatorSettings(**settings)) as url:
        yield url


def _interrupt_on_sigterm() -> None:
    """Make SIGTERM end the foreground server the way Ctrl-C does (state saved, the store closed)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def serve(settings: EmulatorSettings, host: str, port: int, on_ready: Callable[[str], None]) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, calling `on_ready(url)` once it listens."""
    _interrupt_on_sigterm()
    with running_server(settings, host, port) as url:
        on_ready(url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return
