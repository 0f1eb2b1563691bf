"""`ftstack check` (the credential-free preview with the policy pack) and `ftstack policy-config`."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, EXIT_USAGE, ensure_folder, fail, json_mode, print_json
from ftstack.cli.options import JsonOption
from ftstack.cli.output import console as make_console
from ftstack.cli.stack_option import ProjectDirOption as ProjectDir
from ftstack.cli.stack_option import StackOption, stack_in

if TYPE_CHECKING:
    from ftstack.check.pack_process import PackProcess
    from ftstack.check.report import CheckReport


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
    every_stack: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Check every stack in the stack folder with one policy-analyzer start. JSON: "
            '{"stacks": [report, ...], "errors": [{"stack", "messages"}], "compliant"}; exit 2 when a stack '
            "has a config error, else 1 on any mandatory violation.",
        ),
    ] = False,
    recorded: Annotated[
        Path | None,
        typer.Option(
            "--recorded",
            metavar="DIR",
            help="Saved ARM responses for the quota preflight (as `ftstack preflight --recorded`); without it "
            "Azure is read only when the runner is signed in, else the report says why it was not checked.",
            show_default=False,
        ),
    ] = None,
    project_dir: ProjectDir = None,
) -> None:
    """Run the stack's program under mocks through the policy pack; exit 1 on any mandatory violation."""
    if as_json:
        output = OutputFormat.JSON
    json_mode(output is OutputFormat.JSON)
    folder = _project(project_dir)
    if every_stack and stack is not None:
        fail("--all checks every stack: leave out --stack")
    if recorded is not None and not recorded.is_dir():
        fail(f"--recorded {recorded}: no such folder")
    stacks = _all_stacks(folder) if every_stack else [stack_in(folder, stack)]
    # The policy pack takes as long to start as the program takes to import: launch it before anything else.
    from ftstack.check.pack_process import PACK_FOLDER, PackProcess

    pack = PackProcess(folder / PACK_FOLDER, python_path=[folder]).launch()
    # Loading the program's azure-native modules makes millions of objects that live until exit; cyclic
    # collections over them cost about a sixth of the run and free nothing, so they wait until the end.
    gc.disable()
    try:
        reports, errors = _check_stacks(folder, stacks, pack, recorded)
    finally:
        pack.close()
        gc.unfreeze()
        gc.enable()
    stdout = make_console()
    if output is None:
        output = OutputFormat.TREE if stdout.is_terminal else OutputFormat.MARKDOWN
    if not every_stack:
        if errors:
            fail(errors[0][1])
        _print_one(reports[0], output, stdout)
        if not reports[0].compliant:
            raise typer.Exit(EXIT_FOUND_PROBLEMS)
        return
    for name, lines in errors:
        for line in lines:
            sys.stderr.write(f"error: {name}: {' '.join(line.split())}\n")
    _print_all(reports, errors, output, stdout)
    if errors:
        raise typer.Exit(EXIT_USAGE)
    if any(not r.compliant for r in reports):
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


def _all_stacks(folder: Path) -> list[str]:
    from ftstack.config import StackFileError, stack_names

    try:
        names = stack_names(folder)
    except StackFileError as exc:
        fail(str(exc))
    if not names:
        fail(f"--all: no stacks in {folder}: add stacks/Pulumi.<name>.yaml")
    return names


def _check_stacks(
    folder: Path, stacks: list[str], pack: PackProcess, recorded: Path | None
) -> tuple[list[CheckReport], list[tuple[str, list[str]]]]:
    """Each stack's report, and each stack's config problems, from one analyzer (one line on an analyzer
    failure, exit 2)."""
    from ftstack.check.analyzer import AnalyzerError
    from ftstack.check.runner import CheckConfigError, CheckSession

    reports: list[CheckReport] = []
    errors: list[tuple[str, list[str]]] = []
    with _progress() as (show, stop):
        current = {"stack": stacks[0]}
        session = CheckSession(
            folder,
            progress=lambda message: show(f"{current['stack']} {message}"),
            process=pack,
            recorded=recorded,
        )
        for index, name in enumerate(stacks):
            current["stack"] = name
            if index == 1:
                gc.freeze()  # what the first stack imported stays; later collections skip it
            if index:
                gc.collect()  # one stack's garbage at a time
            try:
                reports.append(session.check(name))
            except CheckConfigError as exc:
                errors.append((name, exc.lines))
            except AnalyzerError as exc:
                stop()
                fail(f"the policy analyzer failed: {exc}")
    return reports, errors


@contextlib.contextmanager
def _progress() -> Iterator[tuple[Callable[[str], None], Callable[[], None]]]:
    """A spinner on stderr when it is a terminal (CI logs and error lines stay clean): (show a step, stop)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield (lambda _message: None), (lambda: None)
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]check[/bold] {task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=None)
        yield (lambda message: progress.update(task, description=message, advance=1)), progress.stop


def _print_one(report: CheckReport, output: OutputFormat, stdout: Console) -> None:
    if output is OutputFormat.JSON:
        print_json(report.to_json())
    elif output is OutputFormat.TREE:
        from ftstack.cli.check_tree import render_tree

        stdout.print(render_tree(report))
    else:
        from ftstack.check.markdown import render_markdown

        typer.echo(render_markdown(report), nl=False)


def _print_all(
    reports: list[CheckReport], errors: list[tuple[str, list[str]]], output: OutputFormat, stdout: Console
) -> None:
    if output is OutputFormat.JSON:
        print_json(
            {
                "stacks": [r.to_json() for r in reports],
                "errors": [{"stack": name, "messages": lines} for name, lines in errors],
                "compliant": not errors and all(r.compliant and r.verified for r in reports),
            }
        )
        return
    if output is OutputFormat.MARKDOWN:
        from ftstack.check.markdown import render_config_error

        for report in reports:
            _print_one(report, output, stdout)
            typer.echo("")
        for name, lines in errors:
            typer.echo(render_config_error(name, lines))
        return
    for report in reports:
        _print_one(report, output, stdout)


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
