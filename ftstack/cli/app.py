"""The root `ftstack` command; each command group lives in its own module and is registered here.

Running one command imports only that command's module (openai, the web framework or matplotlib are
slow to load and most commands need none of them); `ftstack --help` registers them all.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

# command name -> (module, attribute, whether it is a group of subcommands)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "matrix": ("ftstack.cli.matrix", "app", True),
    "config": ("ftstack.cli.config", "app", True),
    "data": ("ftstack.cli.data", "app", True),
    "experiment": ("ftstack.cli.experiment", "app", True),
    "emulator": ("ftstack.cli.emulator", "emulator", False),
    "eval": ("ftstack.cli.eval", "eval_command", False),
    "report": ("ftstack.cli.report", "report_command", False),
    "check": ("ftstack.cli.check", "check", False),
    "policy-config": ("ftstack.cli.check", "policy_config", False),
    "local": ("ftstack.cli.local", "app", True),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The root command with every command registered, or only `only` when it names one."""
    root = typer.Typer(
        name="ftstack",
        help="Azure OpenAI fine-tuning as code: capability matrix, config, data, jobs, checks.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @root.callback()
    def _root() -> None:
        """Azure OpenAI fine-tuning as code: capability matrix, config, data, jobs, checks."""

    for name, (module, attribute, group) in COMMANDS.items():
        if only in COMMANDS and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if group:
            root.add_typer(target, name=name)
        else:
            root.command(name)(target)
    return root


def __getattr__(name: str) -> Any:
    # `from ftstack.cli.app import app`: the whole command tree, built on first use.
    if name == "app":
        return build_app()
    raise AttributeError(f"module 'ftstack.cli.app' has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    build_app(command)()
