"""Load a stack's configuration the way the Pulumi CLI does: Pulumi.yaml defaults, then the stack file.

Pulumi's mock runtime reads neither file, so tests, `ftstack config validate` and `ftstack check` use this
loader to hand the program exactly what `pulumi up -s <stack>` would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ftstack.config.problems import ROOT_KEY, ConfigError, ConfigProblem
from ftstack.config.schema import EnvironmentConfig
from ftstack.config.validation import parse_environment

SECRET_PLACEHOLDER = "[secret]"


class StackFileError(ValueError):
    """A project or stack file that is missing or not valid YAML; the message names the file."""


@dataclass(frozen=True)
class StackConfig:
    """One stack's merged configuration: fully qualified keys (`ftstack:environment`) to parsed values."""

    project: str
    stack: str
    project_dir: Path
    source: str
    values: dict[str, Any]
    secret_keys: frozenset[str]

    def pulumi_config(self) -> dict[str, str]:
        """Values as the CLI hands them to a program: strings, JSON for objects, arrays and booleans."""
        return {
            key: value if isinstance(value, str) else json.dumps(value) for key, value in self.values.items()
        }

    @property
    def environment_raw(self) -> object:
        """The raw `ftstack:environment` value (None when the stack does not set it)."""
        return self.values.get(ROOT_KEY)


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: cwd) that holds Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise StackFileError(f"no Pulumi.yaml in {here} or above; run ftstack from the project folder")


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` in the project's stack config folder."""
    folder = project_dir / _project_file(project_dir).get("stackConfigDir", ".")
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))


def load_stack(stack: str, project_dir: Path) -> StackConfig:
    """The merged configuration of `stack`; StackFileError when a file is missing or malformed."""
    project = _project_file(project_dir)
    name = str(project.get("name") or "")
    if not name:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'}: the project has no name")
    stack_path = project_dir / project.get("stackConfigDir", ".") / f"Pulumi.{stack}.yaml"
    source = str(stack_path.relative_to(project_dir))
    if not stack_path.is_file():
        known = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(f"no stack {stack!r}: {source} does not exist; stacks: {known}")
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, spec in (project.get("config") or {}).items():
        qualified = _qualify(str(key), name)
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            values[qualified] = spec.get("value", spec.get("default"))
            if spec.get("secret"):
                secrets.add(qualified)
        elif not isinstance(spec, dict):
            values[qualified] = spec
    stack_doc = _yaml(stack_path, source)
    for key, value in (stack_doc.get("config") or {}).items():
        qualified = _qualify(str(key), name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[qualified] = SECRET_PLACEHOLDER
            secrets.add(qualified)
        else:
            values[qualified] = value
    return StackConfig(name, stack, project_dir, source, values, frozenset(secrets))


def load_environment(stack: str, project_dir: Path) -> tuple[StackConfig, EnvironmentConfig]:
    """The stack's merged config and its validated `ftstack:environment`; ConfigError lists every problem."""
    config = load_stack(stack, project_dir)
    if config.environment_raw is None:
        raise ConfigError(
            [ConfigProblem("", "is not set; the stack needs this structured key")], config.source
        )
    env = parse_environment(config.environment_raw, source=config.source, project_dir=project_dir)
    return config, env


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _project_file(project_dir: Path) -> dict[str, Any]:
    return _yaml(project_dir / "Pulumi.yaml", "Pulumi.yaml")


def _yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(f"{label}: no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise StackFileError(f"{label}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError(f"{label}: must be a YAML mapping")
    return doc
