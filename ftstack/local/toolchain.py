"""Finding the tools a local run needs: the real Pulumi CLI (a user's own, or one built from the Go module
proxy by `scripts/get-pulumi.sh`) and `uv` (Pulumi.yaml's `toolchain: uv` calls the executable)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

GET_PULUMI = Path("scripts") / "get-pulumi.sh"


class ToolchainError(RuntimeError):
    """A tool a local run needs is missing and cannot be built; the message says what to install."""


def pulumi_bin_dir(project_dir: Path) -> Path:
    """The folder holding the `pulumi` to run: a compatible one on PATH, else the one built into the
    checkout's tools folder (built on first use, cached after)."""
    script = project_dir / GET_PULUMI
    if not script.is_file():
        found = shutil.which("pulumi")
        if found is None:
            raise ToolchainError("no Pulumi CLI on PATH and no scripts/get-pulumi.sh to build one")
        return Path(found).parent
    done = subprocess.run(
        ["bash", str(script)], cwd=project_dir, stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise ToolchainError(
            "the Pulumi CLI is not available: install Pulumi v3 or Go 1.25+ (scripts/get-pulumi.sh builds "
            "the CLI from the Go module proxy; its error is above)"
        )
    return Path(done.stdout.strip().splitlines()[-1])


def uv_dir() -> Path | None:
    """The folder of the `uv` executable on PATH (`make` puts the one it bootstrapped there)."""
    found = shutil.which("uv")
    return Path(found).parent if found is not None else None
