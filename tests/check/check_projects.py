"""Copies of the project with one stack changed, to check what `ftstack check` says about them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ("Pulumi.yaml", "__main__.py", "components", "stacks", "examples", "policies")
Environment = dict[str, Any]


def copy_project(dest: Path) -> Path:
    """A copy of the project (program, components, stacks, example data, policy pack) in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv")  # venvs are not relocatable
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=ignore)
        else:
            shutil.copy2(source, dest / part)
    return dest


def edit_environment(project: Path, stack: str, edit: Callable[[Environment], None]) -> None:
    """Change `ftstack:environment` of one stack in a copied project."""
    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document["config"]["ftstack:environment"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def mutated(dest: Path, stack: str, edit: Callable[[Environment], None]) -> Path:
    """A copied project whose `stack` has had `edit` applied."""
    project = copy_project(dest)
    edit_environment(project, stack, edit)
    return project
