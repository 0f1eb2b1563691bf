"""`-s/--stack` and `--project-dir`, spelled once for every command that works on a stack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftstack.cli.errors import fail

STACK_HELP = (
    "Stack: NAME, org/project/NAME or stacks/Pulumi.NAME.yaml (default: $PULUMI_STACK, then the stack "
    "`pulumi stack select` chose)."
)

StackOption = Annotated[
    str | None,
    typer.Option("--stack", "-s", metavar="NAME", help=STACK_HELP, show_default=False),
]
ProjectDirOption = Annotated[
    Path | None,
    typer.Option(
        "--project-dir",
        metavar="DIR",
        help="Folder with Pulumi.yaml (default: the current folder or above).",
        show_default=False,
    ),
]


def project_folder(project_dir: Path | None) -> Path:
    """The project folder (`--project-dir`, else the nearest one holding Pulumi.yaml), or a usage error."""
    from ftstack.config import StackFileError, find_project_dir

    try:
        return project_dir.resolve() if project_dir else find_project_dir()
    except StackFileError as exc:
        fail(str(exc))


def stack_in(project_dir: Path, stack: str | None) -> str:
    """The stack's short name (`-s`, PULUMI_STACK, the selected stack), or one usage error listing them."""
    from ftstack.config.stack_file import StackFileError
    from ftstack.config.stack_selection import resolve_stack

    try:
        return resolve_stack(stack, project_dir)
    except StackFileError as exc:
        fail(str(exc))


def resolve(stack: str | None, project_dir: Path | None) -> tuple[Path, str]:
    """(project folder, stack short name) for a command's `--stack` and `--project-dir`."""
    folder = project_folder(project_dir)
    return folder, stack_in(folder, stack)
