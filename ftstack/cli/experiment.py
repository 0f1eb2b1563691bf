"""`ftstack experiment`: plan an experiment before it runs, and report on it after."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ftstack.cli.errors import ensure_folder, fail
from ftstack.cli.options import TokenOption

if TYPE_CHECKING:
    from ftstack.config.schema import EnvironmentConfig, JobConfig

app = typer.Typer(
    help="Experiments: data-subset learning curves and hyperparameter sweeps.", no_args_is_help=True
)

Stack = Annotated[str, typer.Option("--stack", help="Stack name: stacks/Pulumi.<NAME>.yaml.")]
Experiment = Annotated[str | None, typer.Option("--experiment", help="Experiment name (default: every one).")]


def _load(stack: str) -> tuple[Path, EnvironmentConfig]:
    from ftstack.config import ConfigError, StackFileError, find_project_dir, load_environment

    try:
        folder = find_project_dir()
        return folder, load_environment(stack, folder)[1]
    except StackFileError as exc:
        fail(str(exc))
    except ConfigError as exc:
        fail(exc.lines())


def _jobs(env: EnvironmentConfig, name: str | None) -> list[JobConfig]:
    from ftstack.experiments.report import ExperimentNotFoundError, find_experiment

    if name is None:
        found = [j for j in env.fine_tuning.jobs if j.experiment is not None]
        if not found:
            fail("this stack declares no experiment (fineTuning.jobs[].experiment)")
        return found
    try:
        return [find_experiment(env, name)]
    except ExperimentNotFoundError as exc:
        fail(str(exc))


@app.command()
def plan(
    stack: Stack,
    experiment: Experiment = None,
    time_scale: Annotated[
        float, typer.Option("--time-scale", min=0.001, help="Emulator time scale for the estimate.")
    ] = 600.0,
) -> None:
    """Show every point an experiment expands into, its billed tokens, the queue limits and the drain time."""
    from ftstack.experiments.planning import plan_experiment

    project_dir, env = _load(stack)
    console = Console()
    for job in _jobs(env, experiment):
        result = plan_experiment(job, project_dir, env.account.region, time_scale)
        table = Table(title=f"Experiment {result.experiment} ({len(result.points)} jobs)")
        for column in ("job", "examples", "epochs", "hyperparameters", "billed tokens"):
            table.add_column(column)
        for p in result.points:
            hyper = p.point.job.method.hyperparameters
            table.add_row(
                p.point.name,
                str(p.examples),
                str(p.epochs),
                f"batch {hyper.batch_size}, lr x{hyper.learning_rate_multiplier}, seed {p.point.job.seed}",
                f"{p.billed_tokens:,}",
            )
        console.print(table)
        console.print(f"Total billed tokens (estimate): {result.total_billed_tokens:,}")
        for note in result.notes:
            console.print(f"- {note}", markup=False)


@app.command()
def report(
    stack: Stack,
    experiment: Annotated[str, typer.Option("--experiment", help="Experiment name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, scores.json and pictures.")],
    data: Annotated[
        Path | None, typer.Option("--data", help="Holdout JSONL to score every point on.")
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Data-plane endpoint (default: the stack's account).")
    ] = None,
    token: TokenOption = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Base deployment to compare against (default: the base model)."),
    ] = None,
) -> None:
    """Collect every point's results, score them on a holdout, draw the curves and recommend a point."""
    from ftstack.experiments.report import account_endpoint, build_report
    from ftstack.fine_tuning.client import TOKEN_ENV, open_client
    from ftstack.fine_tuning.errors import FineTuningError

    project_dir, env = _load(stack)
    job = _jobs(env, experiment)[0]
    if data is not None and not data.is_file():
        fail(f"--data {data}: no such file")
    ensure_folder(out)  # before any request, so a bad folder costs nothing
    url = endpoint or account_endpoint(env)
    if token:
        os.environ[TOKEN_ENV] = token
    scorer = None
    if data is not None:
        from ftstack.experiments.scoring import holdout_scorer

        scorer = holdout_scorer(url, token, data, out / "eval", base)
    try:
        with open_client(url) as client:
            result = build_report(job, project_dir, client.list_jobs(), client.list_checkpoints, out, scorer)
    except FineTuningError as exc:
        fail(str(exc))
    console = Console()
    console.print(f"Experiment {result.experiment}: {len(result.results)} points")
    if result.best is not None:
        console.print(f"Best point: {result.best.point.name} ({result.best_reason})")
    console.print(result.recommendation, markup=False)
    for path in result.files:
        console.print(f"wrote {path}")
