"""`ftstack config`: validate a stack's `ftstack:environment` before any resource is registered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="The typed stack configuration.", no_args_is_help=True)

ProjectDir = Annotated[
    Path | None,
    typer.Option("--project-dir", help="Folder with Pulumi.yaml (default: the current folder or above)."),
]


@app.command()
def validate(
    stack: Annotated[str, typer.Option("--stack", help="Stack name: stacks/Pulumi.<NAME>.yaml.")],
    project_dir: ProjectDir = None,
) -> None:
    """Validate one stack's config against the schema and the capability matrix; exit 2 on any problem."""
    from ftstack.cli.errors import fail
    from ftstack.config import ConfigError, StackFileError, find_project_dir, load_environment

    try:
        folder = project_dir.resolve() if project_dir else find_project_dir()
        config, env = load_environment(stack, folder)
    except StackFileError as exc:
        fail(str(exc))
    except ConfigError as exc:
        fail(exc.lines())
    jobs = len(env.fine_tuning.jobs)
    deployments = len(env.deployments)
    Console().print(
        f"[green]ok[/green] {config.source}: environment {env.name}, account {env.account.name} in "
        f"{env.account.region}, {jobs} job(s), {deployments} deployment(s)"
    )
