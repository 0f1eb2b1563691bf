"""`ftstack config`: validate a stack's `ftstack:environment` before any resource is registered."""

from __future__ import annotations

import typer

from ftstack.cli.output import console as Console  # noqa: N812  (one factory decides colour and width)
from ftstack.cli.stack_option import ProjectDirOption as ProjectDir
from ftstack.cli.stack_option import StackOption, resolve

app = typer.Typer(help="The typed stack configuration.", no_args_is_help=True)


@app.command()
def validate(
    stack: StackOption = None,
    project_dir: ProjectDir = None,
) -> None:
    """Validate one stack's config against the schema and the capability matrix; exit 2 on any problem."""
    from ftstack.cli.errors import fail
    from ftstack.config import ConfigError, StackFileError, load_environment

    folder, name = resolve(stack, project_dir)
    try:
        config, env = load_environment(name, folder)
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
