"""Which stack a command means, the way the Pulumi CLI decides: the name given (`dev`, `org/project/dev`,
`stacks/Pulumi.dev.yaml`), else `PULUMI_STACK`, else the stack selected in the Pulumi workspace
(`pulumi stack select`), else one clear error listing the stacks."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from ftstack.config.stack_file import StackFileError, project_document, stack_names

STACK_ENV = "PULUMI_STACK"
_FILE_FORM = re.compile(r"(?:.*[/\\])?Pulumi\.(.+)\.ya?ml")


def stack_short_name(value: str) -> str:
    """The stack's short name from any spelling users give: `dev`, `org/project/dev`,
    `stacks/Pulumi.dev.yaml` or `Pulumi.dev.yaml`."""
    name = value.strip()
    file_form = _FILE_FORM.fullmatch(name)
    if file_form:
        return file_form.group(1)
    return name.rsplit("/", 1)[-1]


def _pulumi_home() -> Path:
    return Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")


def _current_backend(home: Path) -> str | None:
    if os.environ.get("PULUMI_BACKEND_URL"):
        return os.environ["PULUMI_BACKEND_URL"]
    try:
        current = json.loads((home / "credentials.json").read_text(encoding="utf-8")).get("current")
    except (OSError, ValueError, AttributeError):
        return None
    return str(current) if current else None


def selected_stack(project_dir: Path) -> str | None:
    """The stack `pulumi stack select` chose for this project (its workspace settings in PULUMI_HOME),
    or None when nothing is selected."""
    project_file = (project_dir / "Pulumi.yaml").resolve()
    try:
        # Read like every project file: a malformed one is reported once, by stack_names, not here.
        project = str(project_document(project_dir).get("name") or "")
    except StackFileError:
        return None
    home = _pulumi_home()
    digest = hashlib.sha1(str(project_file).encode(), usedforsecurity=False).hexdigest()
    settings_file = home / "workspaces" / f"{project}-{digest}-workspace.json"
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(settings, dict):
        return None
    by_backend = settings.get("stacks") or {}
    if isinstance(by_backend, dict) and by_backend:
        backend = _current_backend(home)
        if backend in by_backend:
            return str(by_backend[backend]) or None
        if len(by_backend) == 1:
            return str(next(iter(by_backend.values()))) or None
    legacy = settings.get("stack")
    return str(legacy) if legacy else None


def resolve_stack(value: str | None, project_dir: Path, option: str = "--stack") -> str:
    """The short name of the stack meant by `value` (else PULUMI_STACK, else the selected stack), which
    must have a stack file; StackFileError listing the stacks otherwise."""
    given = (value or "").strip() or os.environ.get(STACK_ENV, "").strip() or selected_stack(project_dir)
    known = stack_names(project_dir)
    listing = ", ".join(known) or "none"
    if not given:
        raise StackFileError(
            f"no stack given: pass {option} NAME (or -s NAME), set {STACK_ENV}, or run `pulumi stack select`; "
            f"stacks here: {listing}"
        )
    name = stack_short_name(given)
    if name not in known:
        raise StackFileError(f"{option} {given}: no {_stack_file(project_dir, name)}; stacks here: {listing}")
    return name


def _stack_file(project_dir: Path, name: str) -> str:
    """Where the stack's file would be, relative to the project (`stacks/Pulumi.NAME.yaml`)."""
    try:
        import yaml

        folder = (yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}).get(
            "stackConfigDir", "."
        )
    except (OSError, ValueError, AttributeError):
        folder = "."
    return (Path(str(folder)) / f"Pulumi.{name}.yaml").as_posix()
