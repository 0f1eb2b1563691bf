"""A Python language host for the real Pulumi CLI, used only when `ftstack local` builds the CLI itself.

The Go module proxy serves the Pulumi CLI but not `pulumi-language-python` (an untagged module the proxy
refuses), so `ftstack local` brings this host instead. It speaks the engine's LanguageRuntime protocol and
does what the Go host does for this project: it runs the program through the SDK's own
`pulumi-language-python-exec` script (from the `sdk/v3` module zip) in the project's virtualenv, runs
policy packs as `python -u -m pulumi.policy`, and reports the resource plugins the virtualenv's Pulumi
packages need. A user's own Pulumi install keeps its own host; this one is never put in front of it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

# The exit code with which the exec script says "the user was already shown why" (the Go host's convention).
EXITED_AFTER_USER_MESSAGE = 32
PLUGIN_VERSION = "3.274.1"


@dataclass(frozen=True)
class PythonRuntime:
    """Where a program's Python lives: the virtualenv named by the runtime options, relative to its root."""

    root: Path
    virtualenv: Path | None

    @classmethod
    def from_info(cls, info: Any) -> PythonRuntime:
        """The runtime of a ProgramInfo message (root directory and `runtime.options`)."""
        root = Path(info.root_directory or info.program_directory or Path.cwd())
        options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
        venv = options.get("virtualenv")
        if venv is None and options.get("toolchain") == "uv":
            venv = ".venv"  # uv's default, as the Go host assumes
        return cls(root, (root / venv).resolve() if venv else None)

    @property
    def python(self) -> str:
        """The interpreter to run: the virtualenv's, else python3 from PATH."""
        if self.virtualenv is None:
            return os.environ.get("PULUMI_PYTHON_CMD", "python3")
        candidate = self.virtualenv / "bin" / "python"
        if not candidate.exists():
            raise FileNotFoundError(
                f"the virtualenv {self.virtualenv} named in Pulumi.yaml does not exist; run `make venv` "
                "(or `uv sync`) in the project first"
            )
        return str(candidate)

    def environment(self) -> dict[str, str]:
        """The process environment with the virtualenv first on PATH, as `activate` would set it."""
        env = dict(os.environ)
        if self.virtualenv is not None:
            env["PATH"] = f"{self.virtualenv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
            env["VIRTUAL_ENV"] = str(self.virtualenv)
            env.pop("PYTHONHOME", None)
        return env


def required_plugins(runtime: PythonRuntime) -> list[dict[str, str]]:
    """The resource plugins the virtualenv's Pulumi packages declare in their `pulumi-plugin.json`."""
    if runtime.virtualenv is None:
        return []
    found: list[dict[str, str]] = []
    for manifest in sorted(runtime.virtualenv.glob("lib/python*/site-packages/*/pulumi-plugin.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("resource") and data.get("name"):
            found.append(
                {
                    "name": str(data["name"]),
                    "version": str(data.get("version", "")).lstrip("v"),
                    "server": str(data.get("server", "")),
                }
            )
    return found


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    """The LanguageRuntime service for Python programs and policy packs."""

    def __init__(self, executor: Path, engine_address: str) -> None:
        self._executor = executor
        self._engine_address = engine_address
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    # -- handshake and information ---------------------------------------------------------------------

    def Handshake(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Remember the engine's address (newer engines send it here instead of on the command line)."""
        self._engine_address = request.engine_address or self._engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The host's version."""
        return plugin_pb2.PluginInfo(version=PLUGIN_VERSION)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The resource plugins the program's packages need."""
        runtime = PythonRuntime.from_info(request.info)
        return language_pb2.GetRequiredPluginsResponse(
            plugins=[
                plugin_pb2.PluginDependency(
                    name=p["name"], kind="resource", version=p["version"], server=p["server"]
                )
                for p in required_plugins(runtime)
            ]
        )

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The same plugins, as packages."""
        runtime = PythonRuntime.from_info(request.info)
        return language_pb2.GetRequiredPackagesResponse(
            packages=[
                plugin_pb2.PackageDependency(
                    name=p["name"], kind="resource", version=p["version"], server=p["server"]
                )
                for p in required_plugins(runtime)
            ]
        )

    def About(self, request: Any, context: Any) -> Any:  # noqa: N802
        """The interpreter that would run the program."""
        runtime = PythonRuntime.from_info(request.info)
        version = subprocess.run(
            [runtime.python, "--version"], capture_output=True, text=True, check=False
        ).stdout.split()
        return language_pb2.AboutResponse(executable=runtime.python, version=version[-1] if version else "")

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:  # noqa: N802
        """No dependency listing (only `pulumi about` asks)."""
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        """Create the virtualenv with `uv sync --frozen` when it is missing; nothing when it exists."""
        runtime = PythonRuntime.from_info(request.info)
        if runtime.virtualenv is None or (runtime.virtualenv / "bin" / "python").exists():
            return
        done = subprocess.run(["uv", "sync", "--frozen"], cwd=runtime.root, capture_output=True, check=False)
        yield language_pb2.InstallDependenciesResponse(stdout=done.stdout, stderr=done.stderr)
        if done.returncode != 0:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"uv sync failed in {runtime.root}")

    # -- running ---------------------------------------------------------------------------------------

    def Run(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Run the program through the SDK's exec script; its output goes to the engine as ours does."""
        try:
            runtime = PythonRuntime.from_info(request.info)
            python = runtime.python
        except FileNotFoundError as error:
            return language_pb2.RunResponse(error=str(error))
        args = [python, "-u", str(self._executor), *self._program_arguments(request)]
        env = runtime.environment()
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        code = self._wait(subprocess.Popen(args, cwd=request.pwd or None, env=env))
        if code == 0:
            return language_pb2.RunResponse()
        if code == EXITED_AFTER_USER_MESSAGE:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def _program_arguments(self, request: Any) -> list[str]:
        """The exec script's command line, in the Go host's order."""
        pairs = (
            ("monitor", request.monitor_address),
            ("engine", self._engine_address),
            ("project", request.project),
            ("root_directory", request.info.root_directory),
            ("stack", request.stack),
            ("pwd", request.pwd),
            ("dry_run", "true" if request.dryRun else "false"),
            ("parallel", str(request.parallel)),
            ("organization", request.organization),
        )
        args = [item for key, value in pairs if value for item in (f"--{key}", value)]
        return [*args, request.info.entry_point or ".", *request.args]

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        """Run a plugin written in Python (a policy pack: `python -u -m pulumi.policy ARGS DIR`), streaming its
        output; the first stdout line is the port it serves on."""
        runtime = PythonRuntime.from_info(request.info)
        program_dir = request.info.program_directory or request.pwd
        if request.kind == "analyzer":
            args = [runtime.python, "-u", "-m", "pulumi.policy", *request.args, program_dir]
            cwd = program_dir
        else:
            args = [runtime.python, "-u", program_dir, *request.args]
            cwd = request.pwd or program_dir
        env = runtime.environment()
        env.update(item.split("=", 1) for item in request.env if "=" in item)
        child = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with self._lock:
            self._children.add(child)
        stderr_lines: list[bytes] = []
        drain = threading.Thread(target=lambda: stderr_lines.extend(iter(child.stderr.readline, b"")))  # type: ignore[union-attr]
        drain.start()
        assert child.stdout is not None
        for line in iter(child.stdout.readline, b""):
            yield language_pb2.RunPluginResponse(stdout=line)
        code = self._wait(child)
        drain.join()
        for line in stderr_lines:
            yield language_pb2.RunPluginResponse(stderr=line)
        yield language_pb2.RunPluginResponse(exitcode=code)

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        with self._lock:
            self._children.add(child)
        try:
            return child.wait()
        finally:
            with self._lock:
                self._children.discard(child)

    def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Interrupt every running program and plugin."""
        with self._lock:
            for child in self._children:
                child.send_signal(signal.SIGINT)
        return empty_pb2.Empty()


def main(argv: list[str] | None = None) -> int:
    """Serve on a free loopback port and print it, as the engine expects of a plugin."""
    parser = argparse.ArgumentParser(prog="pulumi-language-python")
    parser.add_argument("--executor", type=Path, required=True, help="the SDK's pulumi-language-python-exec")
    parser.add_argument("engine_address", nargs="?", default="")
    known, _ = parser.parse_known_args(argv)  # the engine may add flags (-tracing, ...) this host ignores
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.max_receive_message_length", 400 << 20)]
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        LanguageHost(known.executor, known.engine_address), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    # The engine interrupts its plugins when it is done with them: that is a normal end, not an error.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: server.stop(0))
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
