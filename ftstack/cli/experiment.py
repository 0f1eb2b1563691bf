"""`ftstack experiment`: plan an experiment before it runs, and report on it after."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ftstack.cli.errors import ensure_folder, fail
from ftstack.cli.options import TokenOption
from ftstack.cli.output import console as Console  # noqa: N812  (one factory decides colour and width)
from ftstack.cli.output import key_table
from ftstack.cli.stack_option import ProjectDirOption, StackOption, resolve

if TYPE_CHECKING:
    from ftstack.config.schema import EnvironmentConfig, JobConfig

app = typer.Typer(
    help="Experiments: data-subset learning curves and hyperparameter sweeps.", no_args_is_help=True
)

Experiment = Annotated[str | None, typer.Option("--experiment", help="Experiment name (default: every one).")]


def _load(stack: str | None, project_dir: Path | None) -> tuple[Path, EnvironmentConfig]:
    from ftstack.config import ConfigError, StackFileError, load_environment

    folder, name = resolve(stack, project_dir)
    try:
        return folder, load_environment(name, folder)[1]
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
    stack: StackOption = None,
    experiment: Experiment = None,
    time_scale: Annotated[
        float, typer.Option("--time-scale", min=0.001, help="Emulator time scale for the estimate.")
    ] = 600.0,
    project_dir: ProjectDirOption = None,
) -> None:
    """Show every point an experiment expands into, its billed tokens, the queue limits and the drain time."""
    from ftstack.experiments.planning import plan_experiment

    project_dir, env = _load(stack, project_dir)
    console = Console()
    for job in _jobs(env, experiment):
        result = plan_experiment(job, project_dir, env.account.region, time_scale)
        table = key_table(
            f"Experiment {result.experiment} ({len(result.points)} jobs)",
            "job",
            [p.point.name for p in result.points],
            "examples",
            "epochs",
            "hyperparameters",
            "billed tokens",
        )
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
    experiment: Annotated[str, typer.Option("--experiment", help="Experiment name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, scores.json and pictures.")],
    stack: StackOption = None,
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
    project_dir: ProjectDirOption = None,
) -> None:
    """Collect every point's results, score them on a holdout, draw the curves and recommend a point."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ftstack.data_plane import CREDENTIAL_HINT, TOKEN_ENV, is_credential_error, quiet_azure_logging
    from ftstack.experiments.report import account_endpoint, build_report
    from ftstack.experiments.scoring import METRICS

    score_metric = METRICS[0]
    from ftstack.fine_tuning.client import open_client
    from ftstack.fine_tuning.errors import FineTuningError

    project_dir, env = _load(stack, project_dir)
    job = _jobs(env, experiment)[0]
    if data is not None and not data.is_file():
        fail(f"--data {data}: no such file")
    ensure_folder(out)  # before any request, so a bad folder costs nothing
    url = endpoint or account_endpoint(env)
    if token:
        os.environ[TOKEN_ENV] = token
    quiet_azure_logging()
    stderr = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    scorer = None
    with progress:
        task = progress.add_task(f"reading the jobs of {experiment}", total=None)
        if data is not None:
            from ftstack.experiments.scoring import holdout_scorer

            scorer = holdout_scorer(url, token, data, out / "eval", base)

        def on_progress(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)
            progress.refresh()  # each step drawn as it happens, however fast

        try:
            with open_client(url) as client:
                result = build_report(
                    job,
                    project_dir,
                    client.list_jobs(),
                    client.list_checkpoints,
                    out,
                    scorer,
                    metric=score_metric,
                    on_progress=on_progress,
                )
        except FineTuningError as exc:
            progress.stop()
            fail(str(exc))
        except Exception as exc:
            if not is_credential_error(exc):
                raise
            progress.stop()
            fail(CREDENTIAL_HINT)
    console = Console()
    console.print(f"Experiment {result.experiment}: {len(result.results)} points", markup=False)
    if result.best is not None:
        console.print(f"Best point: {result.best.point.name} ({result.best_reason})", markup=False)
    if result.ties:
        console.print(f"Ties: {result.ties.replace('`', '')}", markup=False)
    console.print(result.recommendation, markup=False)
    for path in result.files:
        console.print(f"wrote {path}", markup=False)
