"""Entry point of the plugin: `python -m ftstack.local.provider [flags] ENGINE_ADDRESS`.

Listens on 127.0.0.1, prints the port on stdout (the engine reads it), and serves until the engine interrupts
or kills it, or its parent process goes away.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from concurrent import futures

import grpc
from pulumi.runtime.proto import provider_pb2_grpc

from ftstack.local.provider.server import LocalAzureProvider

# The engine's own limit for provider messages (sdk/go/common/util/rpcutil: 400 MiB).
_MAX_MESSAGE_BYTES = 400 * 1024 * 1024
# Flags the engine may pass that take a value as the next argument.
_FLAGS_WITH_VALUE = frozenset({"--tracing", "--root", "--logflow-file"})
_PARENT_CHECK_SECONDS = 1.0


def engine_address(argv: list[str]) -> str | None:
    """The first argument that is not a flag (nor a flag's value): the engine's gRPC address."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def serve(argv: list[str]) -> int:
    """Serve the provider until stopped; the exit code."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="local-azure: %(message)s")
    engine_address(argv)  # The provider never calls the engine back; the address is accepted and unused.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32),
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
        ],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(LocalAzureProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    while not stop.wait(_PARENT_CHECK_SECONDS):
        if os.getppid() != parent:
            break
    server.stop(grace=2).wait()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
