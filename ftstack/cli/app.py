"""The root `ftstack` command; each command group lives in its own module and is registered here.

Running one command imports only that command's module (openai, the web framework or matplotlib are
slow to load and most commands need none of them); `ftstack --help` registers them all.

Whatever a command does, the user sees one line per problem and an exit code, never a traceback: usage
errors are one line with exit 2, a missing Azure credential is one line saying how to sign in (exit 2),
Ctrl-C exits 130, and anything unexpected is one line with exit 1 (`FTSTACK_DEBUG=1` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata
from typing import Annotated, Any

import typer

from ftstack.cli import help_format
from ftstack.cli.output import ColorMode, set_color_mode

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
    "preflight": ("ftstack.cli.preflight", "preflight", False),
    "jobs": ("ftstack.cli.jobs", "app", True),
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
ROOT_OPTIONS_WITH_VALUES = ("--color",)
EXIT_INTERRUPTED = 130
DEBUG_ENV = "FTSTACK_DEBUG"


def version() -> str:
    """The installed ftstack version."""
    try:
        return metadata.version("ftstack")
    except metadata.PackageNotFoundError:
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ftstack {version()}")
        raise typer.Exit()


def build_app(only: str | None = None) -> typer.Typer:
    """The root command with every command registered, or only `only` when it names one."""
    help_format.install()
    root = typer.Typer(
        name="ftstack",
        help="Azure OpenAI fine-tuning as code: capability matrix, config, data, jobs, checks.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        context_settings=CONTEXT_SETTINGS,
    )

    @root.callback()
    def _root(
        color: Annotated[
            ColorMode,
            typer.Option(
                "--color", help="Colour: auto (a terminal, unless NO_COLOR is set), always or never."
            ),
        ] = ColorMode.AUTO,
        _version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
            ),
        ] = False,
    ) -> None:
        """Azure OpenAI fine-tuning as code: capability matrix, config, data, jobs, checks."""
        set_color_mode(color)

    for name, (module, attribute, group) in COMMANDS.items():
        if only in COMMANDS and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if group:
            target.info.context_settings = {**CONTEXT_SETTINGS, **(target.info.context_settings or {})}
            root.add_typer(target, name=name)
        else:
            root.command(name, context_settings=CONTEXT_SETTINGS)(target)
    return root


def __getattr__(name: str) -> Any:
    # `from ftstack.cli.app import app`: the whole command tree, built on first use.
    if name == "app":
        return build_app()
    raise AttributeError(f"module 'ftstack.cli.app' has no attribute {name!r}")


def _command_name(args: list[str]) -> str | None:
    """The command the arguments name (the first word that is neither a root option nor its value)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ROOT_OPTIONS_WITH_VALUES:
            skip = True
            continue
        if not arg.startswith("-"):
            return arg
    return None


def _error_line(message: str) -> None:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")


def _usage_message(error: Any) -> str:
    message = str(error.format_message()).replace("Value error, ", "")
    ctx = getattr(error, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    return message.rstrip(".") + where


def run(args: list[str] | None = None) -> int:
    """Run the CLI on `args` (default: sys.argv) and return the exit code; prints, never raises."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from typer.exceptions import Abort, Exit

    from ftstack.cli.errors import error_document, in_json_mode, json_mode, print_json
    from ftstack.credential_transport import InsecureEndpointError
    from ftstack.data_plane import CREDENTIAL_HINT, is_credential_error

    argv = sys.argv[1:] if args is None else args
    json_mode(False)  # a process-wide flag: an earlier in-process command must not leave it on
    try:
        code = build_app(_command_name(argv))(args=argv, prog_name="ftstack", standalone_mode=False)
    except NoArgsIsHelpError as error:
        error.show()
        return 2
    except UsageError as error:
        _error_line(_usage_message(error))
        return 2
    except ClickException as error:
        _error_line(str(error.format_message()))
        return int(error.exit_code)
    except Exit as error:
        return int(error.exit_code)
    except (KeyboardInterrupt, Abort):
        _error_line("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        if isinstance(error, InsecureEndpointError):
            if in_json_mode():
                print_json(error_document([str(error)], 2))
            _error_line(str(error))
            return 2
        if is_credential_error(error):
            if in_json_mode():
                print_json(error_document([CREDENTIAL_HINT], 2))
            _error_line(CREDENTIAL_HINT)
            return 2
        _error_line(
            f"unexpected {type(error).__name__}: {error}; please report it "
            f"(set {DEBUG_ENV}=1 for the traceback)"
        )
        return 1
    return int(code) if isinstance(code, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
