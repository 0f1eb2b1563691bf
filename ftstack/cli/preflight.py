"""`ftstack preflight`: quota and capacity for what a stack declares, before `pulumi up`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, fail, print_json

StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack",
        "-s",
        help="Stack: NAME, org/project/NAME or stacks/Pulumi.NAME.yaml (default: PULUMI_STACK, then the "
        "selected Pulumi stack).",
        show_default=False,
    ),
]


def preflight(
    stack: StackOption = None,
    recorded: Annotated[
        Path | None,
        typer.Option(
            "--recorded", help="Folder of saved ARM responses (usages/<location>.json, ...) instead of Azure."
        ),
    ] = None,
    subscription: Annotated[
        str | None,
        typer.Option("--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: Annotated[
        Path | None,
        typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: the current folder or above)."),
    ] = None,
) -> None:
    """Check quota and capacity for the stack's deployments, jobs and files; exit 1 with one finding per shortfall."""
    from ftstack.config import StackFileError, find_project_dir
    from ftstack.config.stack_selection import resolve_stack
    from ftstack.preflight import PreflightReadError, PreflightUsageError, preflight_stack
    from ftstack.preflight.sources import RECORDED_SUBSCRIPTION, azure_reader, recorded_reader

    try:
        folder = project_dir.resolve() if project_dir else find_project_dir()
        name = resolve_stack(stack, folder)
    except StackFileError as exc:
        fail(str(exc))
    if recorded is not None and not recorded.is_dir():
        fail(f"--recorded {recorded}: no such folder")
    try:
        if recorded is not None:
            report = preflight_stack(
                name,
                folder,
                lambda sub: recorded_reader(recorded, sub),
                "recorded",
                subscription or RECORDED_SUBSCRIPTION,
            )
        else:
            report = preflight_stack(name, folder, azure_reader, "azure", subscription)
    except PreflightUsageError as exc:
        fail(exc.lines)
    except PreflightReadError as exc:  # CredentialError included: its message says how to sign in
        fail(str(exc))
    if as_json:
        print_json(report.to_json())
    else:
        verdict = "everything fits" if report.ok else f"{len(report.findings)} shortfall(s)"
        typer.echo(f"preflight {report.stack} ({report.region}, {report.source}): {verdict}")
        for line in report.lines():
            typer.echo(f"- {line}")
    if not report.ok:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)
