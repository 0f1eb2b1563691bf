"""Helpers of the preflight tests: a copy of the recorded responses to edit, the preflight run on it, and
the `ftstack` command as users run it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ftstack.preflight import PreflightReport, preflight_stack
from ftstack.preflight.sources import recorded_reader

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).resolve().parent / "recorded" / "prod-eu"
FTSTACK = Path(sys.executable).with_name("ftstack")


def recorded_copy(dest: Path) -> Path:
    """A copy of the prod-eu recordings that a test may change."""
    shutil.copytree(RECORDED, dest)
    return dest


def set_usage(folder: Path, region: str, name: str, limit: float, current: float) -> None:
    """Record (or change) one usage of `region`."""
    path = folder / "usages" / f"{region}.json"
    body: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"value": []}
    body["value"] = [u for u in body["value"] if u["name"]["value"] != name]
    body["value"].append({"unit": "Count", "name": {"value": name}, "limit": limit, "currentValue": current})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body))


def write_json(folder: Path, relative: str, body: Any) -> None:
    """Record one response body at `relative`."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body))


def run_recorded(project: Path, stack: str, folder: Path) -> PreflightReport:
    """The preflight of `stack` in `project` on the recordings in `folder`."""
    return preflight_stack(stack, project, lambda sub: recorded_reader(folder, sub), "recorded", "sub")


def ftstack(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`ftstack ARGS` as a user runs it, output captured."""
    return subprocess.run(
        [str(FTSTACK), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False, env=env
    )
