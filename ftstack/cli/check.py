"""`ftstack check` (the credential-free preview with the policy pack) and `ftstack policy-config`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, ensure_folder, fail, json_mode, print_json
from ftstack.cli.options import JsonOption
from ftstack.cli.output import console as make_console
from ftstack.cli.stack_option import ProjectDirOption as ProjectDir
from ftstack.cli.stack_option import StackOption, stack_in


class OutputFormat(StrEnum):
    """How `ftstack check` prints its report."""

    JSON = "json"
    MARKDOWN = "markdown"
    TREE = "tree"


def _project(project_dir: Path | None) -> Path:
    from ftstack.config import StackFileError, find_project_dir

    try:
        return project_dir.resolve() if project_dir else find_project_dir()
    except StackFileError as exc:
        fail(str(exc))


def check(
    stack: StackOption = None,
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="json (the CLI contract), markdown (a PR comment) or tree (default on a terminal; "
            "markdown when piped).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    project_dir: ProjectDir = None,
) -> None:
    """Run the stack's program under mocks through the policy pack; exit 1 on any mandatory violation."""
    if as_json:
        output = OutputFormat.JSON
    json_mode(output is OutputFormat.JSON)
    from ftstack.check.analyzer import AnalyzerError
    from ftstack.check.markdown import render_markdown
    from ftstack.check.runner import CheckConfigError, run_check

    folder = _project(project_dir)
    stack = stack_in(folder, stack)
    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]check {stack}[/bold] {{task.description}}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # stderr stays clean for CI logs and error lines
    )
    with progress:
        task = progress.add_task("", total=None)
        try:
            report = run_check(
                stack, folder, progress=lambda m: progress.update(task, description=m, advance=1)
            )
        except CheckConfigError as exc:
            progress.stop()
            fail(exc.lines)
        except AnalyzerError as exc:
            progress.stop()
            fail(f"the policy analyzer failed: {exc}")
    stdout = make_console()
    if output is None:
        output = OutputFormat.TREE if stdout.is_terminal else OutputFormat.MARKDOWN
    if output is OutputFormat.JSON:
        print_json(report.to_json())
    elif output is OutputFormat.TREE:
        from ftstack.cli.check_tree import render_tree

        stdout.print(render_tree(report))
    else:
        typer.echo(render_markdown(report), nl=False)
    if not report.compliant:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


def policy_config(
    stack: StackOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
    project_dir: ProjectDir = None,
) -> None:
    """Print the stack's `--policy-pack-config` JSON, generated from its residency settings."""
    from ftstack.check.runner import CheckConfigError, stack_pack_config

    folder = _project(project_dir)
    try:
        config = stack_pack_config(stack_in(folder, stack), folder)
    except CheckConfigError as exc:
        fail(exc.lines)
    if out is None:
        print_json(config)
    else:
        ensure_folder(out.parent)
        try:
            out.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            fail(f"--out {out}: cannot write the file ({exc.strerror})")
