"""Running the console script on a real pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FTSTACK = str(Path(sys.executable).with_name("ftstack"))


def on_a_terminal(*args: str, env: dict[str, str] | None = None, columns: int = 80, cwd: Path = ROOT) -> str:
    """What `ftstack ARGS` prints on a terminal `columns` wide (a real pseudo-terminal on stdin, stdout
    and stderr)."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PULUMI_STACK")}
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        [FTSTACK, *args],
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**base, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color", **(env or {})},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: every writer has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait(timeout=120)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
