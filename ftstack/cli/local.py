"""`ftstack local up|preview|refresh|destroy|outputs|stop`: the real Pulumi CLI on the local Azure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, fail, print_json
from ftstack.cli.stack_option import StackOption, stack_in

if TYPE_CHECKING:
    from ftstack.local.runner import LocalSession

app = typer.Typer(
    help="Run the real `pulumi` CLI against the local Azure (a stand-in provider and the emulator).",
    no_args_is_help=True,
)

ProjectDir = Annotated[
    Path | None,
    typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: the current folder or above)."),
]


def _project(project_dir: Path | None) -> Path:
    from ftstack.config import StackFileError, find_project_dir

    try:
        return project_dir.resolve() if project_dir else find_project_dir()
    except StackFileError as exc:
        fail(str(exc))


def _session(stack: str | None, project_dir: Path | None) -> LocalSession:
    from ftstack.local.runner import LocalConfigError, LocalRunError, open_session

    folder = _project(project_dir)
    name = stack_in(folder, stack)
    try:
        return open_session(folder, name)
    except LocalConfigError as exc:
        fail(exc.lines)
    except LocalRunError as exc:
        fail(str(exc))


def _run(stack: str | None, project_dir: Path | None, command: Callable[[LocalSession], int]) -> LocalSession:
    session = _session(stack, project_dir)
    if command(session) != 0:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)
    return session


@app.command()
def up(stack: StackOption, project_dir: ProjectDir = None) -> None:
    """Start the local Azure if needed, then `pulumi up --yes` with the policy pack; prints the outputs."""
    from ftstack.local.runner import LocalRunError, stack_outputs
    from ftstack.local.runner import up as run_up

    session = _run(stack, project_dir, run_up)
    try:
        print_json(stack_outputs(session))
    except LocalRunError as exc:
        fail(str(exc))


@app.command()
def preview(stack: StackOption, project_dir: ProjectDir = None) -> None:
    """`pulumi preview` with the policy pack; exit 1 on a mandatory violation."""
    from ftstack.local.runner import preview as run_preview

    _run(stack, project_dir, run_preview)


@app.command()
def refresh(stack: StackOption, project_dir: ProjectDir = None) -> None:
    """`pulumi refresh --yes`: the state brought in line with the local Azure."""
    from ftstack.local.runner import refresh as run_refresh

    _run(stack, project_dir, run_refresh)


@app.command()
def destroy(stack: StackOption, project_dir: ProjectDir = None) -> None:
    """`pulumi destroy --yes`; the accounts it soft-deleted are purged so the stack can be created again."""
    from ftstack.local.runner import destroy as run_destroy

    _run(stack, project_dir, run_destroy)


@app.command()
def outputs(
    stack: StackOption,
    as_json: Annotated[bool, typer.Option("--json", help="JSON (the only format).")] = True,
    project_dir: ProjectDir = None,
) -> None:
    """The stack's outputs, plus `dataPlaneEndpoint` and `token` for the openai SDK."""
    from ftstack.local.runner import LocalRunError, stack_outputs

    session = _session(stack, project_dir)
    try:
        print_json(stack_outputs(session))
    except LocalRunError as exc:
        fail(str(exc))


@app.command()
def stop(project_dir: ProjectDir = None) -> None:
    """Stop the local Azure server (its state stays in .ftstack/local/azure)."""
    from ftstack.local import azure_process
    from ftstack.local.workspace import LocalWorkspace

    stopped = azure_process.stop(LocalWorkspace(_project(project_dir)).azure_home)
    typer.echo("local Azure stopped" if stopped else "local Azure was not running", err=True)
