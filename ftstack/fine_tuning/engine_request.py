"""What a FineTuningJob operation can learn of the engine request it serves: the engine's log, with lines
attributed to the resource, and whether the engine still wants the answer.

The Python dynamic provider server (`python -m pulumi.dynamic`) configures no engine connection, so
`pulumi.log.info` there only prints to stderr, which the engine shows as plugin output that names no
resource; and its provider methods are never told the resource's URN. The engine does start every provider
plugin with its own address as the first argument, and serves the Engine service's `Log` there: this module
sends each progress line to it with the URN of the request being served, so the CLI shows the line under
the resource. The SDK hands the provider method only the properties, so the URN is read from the gRPC
request in the server's handler frame (`request.urn` in pulumi/dynamic/__main__.py); should a later SDK
rename it, lines fall back to stderr. Without an engine address or URN (direct calls, tests), lines go to
stderr.

Cancellation: the server's own Cancel is a no-op and its provider methods see no request context, so the
gRPC context is read from the same handler frame: when the server stops (Ctrl-C: SIGINT ends its main thread,
which stops the server and cancels every request) or the engine drops the connection, `context.is_active()`
turns false and the wait that polls it ends.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|[A-Za-z0-9.-]+):\d{2,5}$")
_lock = threading.Lock()
_stubs: dict[str, Any] = {}


def engine_address(argv: list[str] | None = None) -> str | None:
    """The engine's address when this process is the dynamic provider server the engine started."""
    args = sys.argv if argv is None else argv
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if argv is None and getattr(spec, "name", None) not in ("pulumi.dynamic.__main__", "pulumi.dynamic"):
        return None
    candidates = [a for a in args[1:] if ADDRESS.match(a)]
    return candidates[0] if candidates else None


def _engine(address: str) -> Any:
    with _lock:
        stub = _stubs.get(address)
        if stub is None:
            import grpc
            from pulumi.runtime.proto import engine_pb2_grpc

            stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))
            _stubs[address] = stub
        return stub


@dataclass(frozen=True)
class ServedRequest:
    """The engine request this thread serves: its resource's URN and its gRPC context (None off the server)."""

    urn: str | None
    context: Any

    def cancelled(self) -> bool:
        """True once the engine no longer waits for the answer (the server stopped, the connection dropped)."""
        is_active = getattr(self.context, "is_active", None)
        return callable(is_active) and not is_active()


def served_request() -> ServedRequest:
    """The request the dynamic provider server's handler (`Create(self, request, context)`...) is serving in
    this thread, found on the call stack; an empty one when called otherwise."""
    frame = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        urn = getattr(request, "urn", None)
        if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
            return ServedRequest(urn, frame.f_locals.get("context"))
        frame = frame.f_back  # type: ignore[assignment]
    return ServedRequest(None, None)


def progress_sink(resource_name: str, urn: str | None, address: str | None = None) -> Callable[[str], None]:
    """A progress sink for one resource: the engine's log under `urn` when the engine can be reached, else
    stderr (a line the engine refuses falls back to stderr too)."""
    target = address if address is not None else engine_address()

    def report(message: str) -> None:
        if target and urn:
            try:
                from pulumi.runtime.proto import engine_pb2

                _engine(target).Log(
                    engine_pb2.LogRequest(
                        severity=engine_pb2.INFO, message=message, urn=urn, ephemeral=False
                    ),
                    timeout=10,
                )
                return
            except Exception:  # the engine may be gone (an interrupted deploy): say it on stderr
                pass
        sys.stderr.write(f"info: {resource_name}: {message}\n")
        sys.stderr.flush()

    return report
