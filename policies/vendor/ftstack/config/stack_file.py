"""Load a stack's configuration the way the Pulumi CLI does: Pulumi.yaml defaults, then the stack file.

Pulumi's mock runtime reads neither file, so tests, `ftstack config validate` and `ftstack check` use this
loader to hand the program exactly what `pulumi up -s <stack>` would.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.config.problems import ROOT_KEY, ConfigError, ConfigProblem, quote_value
from ftstack.config.schema import EnvironmentConfig
from ftstack.config.strict_yaml import MAX_FILE_BYTES, YamlInputError, load_untrusted_yaml
from ftstack.config.validation import parse_environment

SECRET_PLACEHOLDER = "[secret]"
# Project and stack names as the Pulumi CLI accepts them; a longer name is also a file name the OS refuses.
PULUMI_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
NAME_RULE = "letters, digits, '-', '_' and '.', at most 100 characters"
MAX_FOLDER_CHARS = 1024
# Messages about the whole file read on from its name ("Pulumi.yaml is not valid YAML").
_ABOUT_THE_FILE = ("is ", "holds ", "nests ", "looks ")


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
    folder = project_dir / _stack_folder(_project_file(project_dir))
    try:
        found = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))
    except OSError as exc:
        raise StackFileError(f"Pulumi.yaml: stackConfigDir: cannot list {folder} ({exc.strerror})") from None
    return [name for name in found if PULUMI_NAME.fullmatch(name)]


def load_stack(stack: str, project_dir: Path) -> StackConfig:
    """The merged configuration of `stack`; StackFileError when a file is missing or malformed."""
    project = _project_file(project_dir)
    name = project.get("name")
    if not name:
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'}: the project has no name")
    if not isinstance(name, str) or not PULUMI_NAME.fullmatch(name):
        raise StackFileError(f"Pulumi.yaml: name: {quote_value(name)} is not a project name; use {NAME_RULE}")
    if not PULUMI_NAME.fullmatch(stack):
        raise StackFileError(f"stack {quote_value(stack)}: not a stack name; use {NAME_RULE}")
    stack_path = project_dir / _stack_folder(project) / f"Pulumi.{stack}.yaml"
    source = str(stack_path.relative_to(project_dir))
    if not _is_file(stack_path, source):
        known = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(f"no stack {stack!r}: {source} does not exist; stacks: {known}")
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, spec in _config_section(project, "Pulumi.yaml").items():
        qualified = _qualify(key, name)
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            values[qualified] = spec.get("value", spec.get("default"))
            if spec.get("secret"):
                secrets.add(qualified)
        elif not isinstance(spec, dict):
            values[qualified] = spec
    stack_doc = _yaml(stack_path, source)
    for key, value in _config_section(stack_doc, source).items():
        qualified = _qualify(key, name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            if not isinstance(value["secure"], str):
                raise StackFileError(
                    f"{source}: config.{key}.secure: {quote_value(value['secure'])} is not an encrypted value; "
                    f"set it with `pulumi config set --secret {key} VALUE`"
                )
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


def project_document(project_dir: Path) -> dict[str, Any]:
    """Pulumi.yaml of `project_dir` as a mapping, read within the loader's budgets; StackFileError otherwise."""
    return _project_file(project_dir)


def _project_file(project_dir: Path) -> dict[str, Any]:
    return _yaml(project_dir / "Pulumi.yaml", "Pulumi.yaml")


def _stack_folder(project: dict[str, Any]) -> str:
    """`stackConfigDir` of Pulumi.yaml (default: the project folder), checked before it becomes a path."""
    folder = project.get("stackConfigDir", ".")
    if folder is None:
        return "."
    if not isinstance(folder, str) or not folder.strip() or "\0" in folder or len(folder) > MAX_FOLDER_CHARS:
        raise StackFileError(
            f"Pulumi.yaml: stackConfigDir: {quote_value(folder)} is not a folder name; give a folder relative "
            "to Pulumi.yaml, e.g. stacks"
        )
    return folder


def _config_section(doc: dict[str, Any], label: str) -> dict[str, Any]:
    """The `config:` mapping of a project or stack file, its keys checked to be config key names."""
    config = doc.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{label}: config: must be a mapping of config keys to values (e.g. `ftstack:environment: ...`), "
            f"not {_kind(config)}"
        )
    for key in config:
        if not isinstance(key, str) or not key.strip():
            raise StackFileError(
                f"{label}: config: the key {quote_value(key)} is not a config key name; write `namespace:name`"
            )
    return config


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _is_file(path: Path, label: str) -> bool:
    try:
        return path.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise StackFileError(f"{label}: cannot be read ({exc.strerror})") from None


def _yaml(path: Path, label: str) -> dict[str, Any]:
    """A project or stack file as a mapping; StackFileError (one line naming the file) for anything else."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block the read forever
            raise StackFileError(f"{label}: is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise StackFileError(f"{label}: no such file") from None
    except OSError as exc:
        raise StackFileError(f"{label}: cannot be read ({exc.strerror})") from None
    try:
        doc = load_untrusted_yaml(data)
    except YamlInputError as exc:
        raise StackFileError(_located(label, exc)) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError(f"{label}: must be a YAML mapping (keys such as `config:`), not {_kind(doc)}")
    return doc


def _located(label: str, exc: YamlInputError) -> str:
    """`<file>: line N: <key path>: <reason>`, or `<file>: line N is not valid YAML: ...` for the file."""
    where = label + (f": line {exc.line}" if exc.line else "")
    if exc.path:
        return f"{where}: {exc.path}: {exc.reason}"
    return f"{where} {exc.reason}" if exc.reason.startswith(_ABOUT_THE_FILE) else f"{where}: {exc.reason}"
