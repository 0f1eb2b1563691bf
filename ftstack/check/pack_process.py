"""The policy pack's own process, `python -u -m pulumi.policy 127.0.0.1:0 PACK`, started in the background.

Starting it costs as much as importing the pack (pulumi, pulumi_policy, the rules and the facts they read),
so `ftstack check` launches it first and runs the program under mocks while it comes up; only `port()`
waits. Standard library only: importing this module must not delay the launch.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

PACK_FOLDER = "policies"  # the policy pack, relative to the project
STARTUP_TIMEOUT_SECONDS = 60.0


class AnalyzerError(RuntimeError):
    """The analyzer process could not start or answer; the message carries its stderr."""


class PackProcess:
    """The pack in `pack_dir`, served by `python -m pulumi.policy` (the CLI's analyzer plugin does the same)."""

    def __init__(self, pack_dir: Path, *, python_path: Iterable[Path] = (), python: str | None = None):
        self.pack_dir = pack_dir.resolve()
        self._python_path = [str(Path(p).resolve()) for p in python_path]
        self._python = python or sys.executable
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._port: int | None = None

    def launch(self) -> PackProcess:
        """Start the process and return at once (it imports the pack meanwhile); a second call does nothing."""
        if self._process is not None or not self.pack_dir.is_dir():
            return self  # a missing pack is reported by port(), after the stack's own config errors
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([*self._python_path, *filter(None, [env.get("PYTHONPATH")])])
        # Kept open for the process's lifetime (a pipe could fill up and block it); close() releases it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [self._python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(self.pack_dir)],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        return self

    def port(self) -> int:
        """The port the pack serves on, waiting for it to come up; AnalyzerError (with the last line of its
        stderr) when it exits or stays silent instead."""
        if self._port is not None:
            return self._port
        self.launch()
        if self._process is None:
            raise AnalyzerError(
                f"no policy pack at {self.pack_dir}: ftstack check runs the project's pack (policies/ beside "
                "Pulumi.yaml)"
            )
        assert self._process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=STARTUP_TIMEOUT_SECONDS)
        line = self._process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)  # let a failing pack finish writing its error
            # The last line of a traceback names the error; the whole of stderr is too long for one line.
            lines = self.stderr_text().splitlines() or ["no output"]
            self.close()
            raise AnalyzerError(f"the policy pack in {self.pack_dir} did not start: {lines[-1]}")
        self._port = int(line)
        return self._port

    def stderr_text(self) -> str:
        """What the process wrote to stderr so far (the last 4,000 characters)."""
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()[-4000:]

    def close(self) -> None:
        """Stop the process (terminate, then kill after 10 s) and release its files."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._port = None
