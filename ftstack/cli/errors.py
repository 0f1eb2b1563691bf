"""How the CLI reports user mistakes: one line per problem on stderr, exit code 2, never a traceback."""

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


def fail(problems: str | Iterable[str], code: int = EXIT_USAGE) -> NoReturn:
    """Print each problem as one line on stderr and exit with `code` (2: usage, input or config error)."""
    lines = [problems] if isinstance(problems, str) else list(problems)
    for line in lines:
        sys.stderr.write(f"error: {' '.join(str(line).split())}\n")
    raise typer.Exit(code)


def print_json(data: object) -> None:
    """Write `data` as indented JSON on stdout (the CLI contract's machine-readable form)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def ensure_folder(folder: Path, option: str = "--out") -> Path:
    """Create `folder` (and its parents) before any work, or fail with one line naming the option."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{option} {folder}: cannot create the folder ({exc.strerror}); give a writable folder")
    return folder
