"""How the CLI reports user mistakes: one line per problem on stderr, exit code 2, never a traceback.

In JSON mode (a command given `--json`, or `--format json`), the same problems are also written to stdout
as one JSON document, `{"error": {"exitCode": 2, "messages": [...]}}`, so that a pipe into `jq` sees JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import typer

EXIT_OK = 0
EXIT_FOUND_PROBLEMS = 1
EXIT_USAGE = 2

_json_mode = False


def json_mode(enabled: bool) -> bool:
    """Switch JSON mode on for the rest of the command (errors as JSON on stdout too); returns `enabled`."""
    global _json_mode
    _json_mode = enabled
    return enabled


def in_json_mode() -> bool:
    """True when the running command was asked for JSON."""
    return _json_mode


def error_document(lines: Iterable[str], code: int) -> dict[str, object]:
    """The JSON form of a failed command."""
    return {"error": {"exitCode": code, "messages": [" ".join(str(line).split()) for line in lines]}}


def fail(problems: str | Iterable[str], code: int = EXIT_USAGE) -> NoReturn:
    """Print each problem as one line on stderr and exit with `code` (2: usage, input or config error)."""
    lines = [problems] if isinstance(problems, str) else list(problems)
    if _json_mode:
        print_json(error_document(lines, code))
    for line in lines:
        sys.stderr.write(f"error: {' '.join(str(line).split())}\n")
    raise typer.Exit(code)


def print_json(data: object) -> None:
    """Write `data` as indented JSON on stdout (the CLI contract's machine-readable form)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def print_json_line(data: object) -> None:
    """Write `data` as one line of JSON on stdout (a stream of records, JSON Lines)."""
    sys.stdout.write(json.dumps(data, sort_keys=False) + "\n")
    sys.stdout.flush()


def ensure_folder(folder: Path, option: str = "--out") -> Path:
    """Create `folder` (and its parents) before any work, or fail with one line naming the option."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{option} {folder}: cannot create the folder ({exc.strerror}); give a writable folder")
    return folder
