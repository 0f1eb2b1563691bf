"""`make demo`: the main job, end to end on this machine (no Azure, no Pulumi CLI).

Each step is a function; `main()` runs them in order. Steps call the same functions the CLI does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
console = Console()


def heading(title: str) -> None:
    """Print a step heading."""
    console.rule(f"[bold]{title}")


def ftstack(*args: str) -> int:
    """Run the real `ftstack` console script from this venv, as a user would; return its exit code."""
    exe = Path(sys.executable).with_name("ftstack")
    return subprocess.run([str(exe), *args], cwd=ROOT, check=False).returncode


def demo_matrix() -> None:
    """The capability matrix, and one refused request with its alternatives."""
    heading("Capability matrix")
    ftstack("matrix", "list")
    ftstack("matrix", "check", "--model", "gpt-4o-mini", "--region", "eastus2", "--training", "standard")


def demo_config() -> None:
    """Validate every stack's config against the schema and the matrix."""
    from ftstack.config import stack_names

    heading("Stack configuration")
    for stack in stack_names(ROOT):
        if ftstack("config", "validate", "--stack", stack) != 0:
            raise SystemExit(f"stack {stack} is invalid")


def main() -> None:
    """Run every demo step in order."""
    demo_matrix()
    demo_config()


if __name__ == "__main__":
    main()
