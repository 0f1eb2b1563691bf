"""The real Pulumi CLI on the local Azure, for tests: a copied project, `ftstack local` run as a user runs
it, and the stack's state and the local Azure's inventory to assert on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ftstack.local.policy_pack_venv import ensure_pack_virtualenv, pack_virtualenv
from ftstack.local.runner import LocalSession, open_session
from tests.check.check_projects import copy_project

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = Path(os.environ.get("FTSTACK_TOOLS_DIR") or ROOT / ".ftstack" / "tools")
FTSTACK = Path(sys.executable).with_name("ftstack")
COMMAND_TIMEOUT_SECONDS = 600


def engine_unavailable() -> str | None:
    """Why the real engine cannot run here (no CLI and no Go to build one), or None when it can."""
    env = {**os.environ, "FTSTACK_TOOLS_DIR": str(TOOLS_DIR)}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "get-pulumi.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return None
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "scripts/get-pulumi.sh failed"


def local_project(dest: Path) -> Path:
    """A copy of the project a user would run `ftstack local` in, sharing this checkout's venv and CLI."""
    project = copy_project(dest)
    shutil.copytree(ROOT / "scripts", project / "scripts")
    (project / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    # The pack's own virtualenv is made once, in this checkout, and shared like the project's.
    pack = ROOT / "policies"
    venv = pack_virtualenv(pack)
    if venv is not None and venv.parent == pack:
        ensure_pack_virtualenv(ROOT, pack, local_env())
        (project / "policies" / venv.name).symlink_to(venv, target_is_directory=True)
    return project


def local_env() -> dict[str, str]:
    """The environment of a `ftstack local` run in tests: the shared tools folder (no second CLI build)."""
    os.environ["FTSTACK_TOOLS_DIR"] = str(TOOLS_DIR)
    return dict(os.environ)


def ftstack_local(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ftstack local ARGS` in `project`, as a user runs it; output captured."""
    return subprocess.run(
        [str(FTSTACK), "local", *args],
        cwd=project,
        env=local_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def session(project: Path, stack: str) -> LocalSession:
    """The same session `ftstack local` opens, for direct `pulumi` calls (JSON previews, state exports)."""
    local_env()
    return open_session(project, stack)


def preview_steps(project: Path, stack: str) -> list[dict[str, Any]]:
    """The steps of `pulumi preview --json` of the stack (with the policy pack)."""
    run = session(project, stack)
    done = run.pulumi("preview", "--json", *run.stack_args, *run.policy_args, capture=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return list(json.loads(done.stdout).get("steps", []))


def state_resources(project: Path, stack: str) -> list[dict[str, Any]]:
    """The resources in the stack's state (`pulumi stack export`)."""
    run = session(project, stack)
    done = run.pulumi("stack", "export", "--stack", stack, "--show-secrets", capture=True)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["deployment"].get("resources", []))


def inventory(project: Path, stack: str) -> dict[str, Any]:
    """What the local Azure holds: ARM resources, soft-deleted accounts, and each data-plane account."""
    with session(project, stack).azure.client() as http:
        answer = http.get("/local/inventory")
        answer.raise_for_status()
        return dict(answer.json())


def advance_clock(project: Path, stack: str, seconds: float) -> None:
    """Move the local Azure's simulated clock forward."""
    with session(project, stack).azure.client() as http:
        http.post("/local/clock", json={"advance_seconds": seconds}).raise_for_status()
