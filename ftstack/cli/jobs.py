"""`ftstack jobs list|show|events [--follow]|checkpoints|cancel|pause|resume`: see and steer fine-tuning
jobs from the terminal, on an endpoint (`--endpoint`), a stack's account (`-s NAME`) or a stack's account
on the local Azure (`--local -s NAME`).

JSON (`--json`): `list` -> `{"endpoint", "jobs": [job]}`; `show`, `cancel`, `pause`, `resume` ->
`{"job": job}`; `events` -> `{"jobId", "events": [event]}`, and with `--follow` one JSON object per line
(`{"event": event}` as each arrives, then `{"job": job}`); `checkpoints` -> `{"jobId", "checkpoints":
[checkpoint]}`. Jobs, events and checkpoints are the service's own objects. Exit codes: 0 ok; 1 when a
followed job ends failed or cancelled; 2 usage errors and refused requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, fail, json_mode, print_json, print_json_line
from ftstack.cli.options import ApiVersionOption, JsonOption, TokenOption
from ftstack.cli.output import console, key_table, print_records
from ftstack.cli.stack_option import ProjectDirOption, StackOption, project_folder
from ftstack.data_plane import DEFAULT_API_VERSION, is_url

if TYPE_CHECKING:
    from ftstack.jobs import JobsClient, JobsTarget, StepMetrics

app = typer.Typer(
    help="See and steer fine-tuning jobs: list, show, events (--follow), checkpoints, cancel, pause, resume.",
    no_args_is_help=True,
)

EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Account endpoint, e.g. https://NAME.openai.azure.com (or .../openai/v1).",
        show_default=False,
    ),
]
LocalOption = Annotated[
    bool, typer.Option("--local", help="The stack's account on the local Azure (`ftstack local up`).")
]
RESOURCE_TAG = "ftstack-resource"  # the FineTuningJob tags its job with its resource name
JobArgument = Annotated[str, typer.Argument(metavar="JOB", help="Fine-tuning job id (ftjob-...).")]


def _when(stamp: object) -> str:
    if not isinstance(stamp, int | float) or stamp <= 0:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _target(
    endpoint: str | None,
    stack: str | None,
    local: bool,
    token: str | None,
    api_version: str,
    project_dir: Path | None,
) -> JobsTarget:
    from ftstack.config.stack_file import StackFileError
    from ftstack.config.stack_selection import resolve_stack
    from ftstack.evaluation.chat_client import Endpoint
    from ftstack.jobs import JobsTarget, TargetError, local_target, stack_target

    if endpoint is not None:
        if local or stack:
            fail("--endpoint names the account already; leave out --stack and --local")
        if not is_url(endpoint):
            fail(f"--endpoint {endpoint}: expected a URL like https://NAME.openai.azure.com")
        return JobsTarget(Endpoint(endpoint, token, api_version), endpoint)
    folder = project_folder(project_dir)
    try:
        name = resolve_stack(stack, folder)
    except StackFileError as exc:
        fail(f"{exc}; or pass --endpoint URL")
    try:
        if local:
            return local_target(folder, name, api_version)
        return stack_target(folder, name, token, api_version)
    except TargetError as exc:
        fail(exc.lines)


def _client(target: JobsTarget) -> JobsClient:
    from ftstack.jobs import JobsClient

    return JobsClient(target.endpoint)


def _run(target: JobsTarget, action: Any) -> Any:
    """Run `action(client)`; a refused or failed request is one line, exit 2."""
    from ftstack.jobs import JobsError

    client = _client(target)
    try:
        return action(client)
    except JobsError as exc:
        fail(str(exc))
    finally:
        client.close()


def _job_error(job: dict[str, Any]) -> str | None:
    error = job.get("error")
    if isinstance(error, dict) and (error.get("message") or error.get("code")):
        code = f" ({error['code']})" if error.get("code") else ""
        return f"{error.get('message') or 'no message'}{code}"
    return None


def _job_summary(job: dict[str, Any]) -> list[tuple[str, str]]:
    hyper = job.get("hyperparameters") or {}
    method = job.get("method") or {}
    rows = [
        ("status", str(job.get("status", "-"))),
        ("base model", str(job.get("model", "-"))),
        ("fine-tuned model", str(job.get("fine_tuned_model") or "-")),
        ("training type", str(job.get("trainingType") or job.get("training_type") or "-")),
        ("method", str(method.get("type") or "supervised") if isinstance(method, dict) else "-"),
        (
            "hyperparameters",
            ", ".join(f"{k}={v}" for k, v in hyper.items()) if isinstance(hyper, dict) and hyper else "-",
        ),
        ("suffix", str(job.get("suffix") or "-")),
        ("training file", str(job.get("training_file") or "-")),
        ("validation file", str(job.get("validation_file") or "-")),
        ("trained tokens", str(job.get("trained_tokens") or "-")),
        ("created", _when(job.get("created_at"))),
        ("finished", _when(job.get("finished_at"))),
    ]
    error = _job_error(job)
    if error:
        rows.insert(1, ("error", error))
    return rows


@app.command("list")
def list_jobs(
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many, newest first.")
    ] = None,
    resource: Annotated[
        str | None,
        typer.Option(
            "--resource",
            metavar="NAME",
            help="Only the jobs of the stack's FineTuningJob NAME (its ftstack-resource tag).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the job ids, one a line.")] = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """List the account's fine-tuning jobs, newest first."""
    json_mode(as_json)
    target = _target(endpoint, stack, local, token, api_version, project_dir)
    jobs: list[dict[str, Any]] = _run(target, lambda c: c.list_jobs(None if resource else limit))
    if resource is not None:
        jobs = [j for j in jobs if (j.get("metadata") or {}).get(RESOURCE_TAG) == resource][:limit]
    if quiet and not as_json:
        for job in jobs:
            typer.echo(str(job.get("id")))
        return
    if as_json:
        print_json({"endpoint": target.endpoint.url, "jobs": jobs})
        return
    out = console()
    if not jobs:
        out.print(f"no fine-tuning jobs on {target.label}", markup=False)
        return
    ids = [str(j.get("id")) for j in jobs]
    columns = ("status", "model", "created")
    table = key_table(f"{len(jobs)} job(s) on {target.label}", "job", ids, *columns)
    records = []
    for job in jobs:
        model = str(job.get("fine_tuned_model") or job.get("model") or "-")
        values = (str(job.get("status")), model, _when(job.get("created_at")))
        table.add_row(str(job.get("id")), *values)
        records.append((str(job.get("id")), list(zip(columns, values, strict=True))))
    print_records(out, table, records)  # a list instead when the table would fold a model name


@app.command()
def show(
    job: JobArgument,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """Show one job: status (and the error of a failed job), models, hyperparameters, files, times."""
    json_mode(as_json)
    target = _target(endpoint, stack, local, token, api_version, project_dir)
    found: dict[str, Any] = _run(target, lambda c: c.get(job))
    if as_json:
        print_json({"job": found})
        return
    rows = _job_summary(found)
    table = key_table(f"job {job}", "field", [k for k, _ in rows], "value")
    for key, value in rows:
        table.add_row(key, value)
    console().print(table)


def _event_line(event: dict[str, Any]) -> str:
    level = str(event.get("level") or "info")
    return f"{_when(event.get('created_at'))} [{level}] {' '.join(str(event.get('message', '')).split())}"


def _progress_text(job: dict[str, Any], metrics: StepMetrics | None) -> str:
    parts = [str(job.get("status"))]
    if metrics is not None:
        parts.append(f"step {metrics.step}" + (f"/{metrics.total_steps}" if metrics.total_steps else ""))
        if metrics.train_loss is not None:
            parts.append(f"training loss {metrics.train_loss:.4f}")
        if metrics.valid_loss is not None:
            parts.append(f"step validation loss {metrics.valid_loss:.4f}")
        if metrics.full_valid_loss is not None:
            parts.append(f"full validation loss {metrics.full_valid_loss:.4f}")
    return ", ".join(parts)


def _follow(client: JobsClient, job: str, as_json: bool, interval: float) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ftstack.jobs import latest_metrics

    out = console()
    err = console(stderr=True)
    progress = Progress(
        TextColumn(f"[bold]{job}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # piped or captured: only the event lines
    )
    with progress:
        task = progress.add_task("", total=None)
        seen: list[dict[str, Any]] = []

        def on_events(current: dict[str, Any], fresh: list[dict[str, Any]]) -> None:
            seen.extend(fresh)
            for event in fresh:
                if as_json:
                    print_json_line({"event": event})
                else:
                    # The live progress line redirects stdout above itself: events scroll, the line stays.
                    out.print(_event_line(event), markup=False)
            metrics = latest_metrics(seen)
            progress.update(
                task,
                description=_progress_text(current, metrics),
                completed=metrics.step if metrics else 0,
                total=metrics.total_steps if metrics and metrics.total_steps else None,
            )

        return client.follow(job, on_events, interval=interval)


@app.command()
def events(
    job: JobArgument,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Stream new events and the loss until the job ends.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between polls with --follow.")
    ] = 2.0,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """The job's events, oldest first; with --follow, new events and a progress line until the job ends
    (exit 1 when it ends failed or cancelled)."""
    json_mode(as_json)
    target = _target(endpoint, stack, local, token, api_version, project_dir)
    if not follow:
        found: list[dict[str, Any]] = _run(target, lambda c: c.events(job))
        if as_json:
            print_json({"jobId": job, "events": found})
            return
        out = console()
        for event in found:
            out.print(_event_line(event), markup=False)
        if not found:
            out.print(f"job {job} has no events yet", markup=False)
        return
    try:
        final: dict[str, Any] = _run(target, lambda c: _follow(c, job, as_json, interval))
    except KeyboardInterrupt:
        fail(f"stopped following {job}; the job keeps running", code=130)
    status = str(final.get("status"))
    if as_json:
        print_json_line({"job": final})
    else:
        model, error = final.get("fine_tuned_model"), _job_error(final)
        console().print(
            f"job {job} {status}" + (f": {model}" if model else "") + (f": {error}" if error else ""),
            markup=False,
        )
    if status in ("failed", "cancelled"):
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


@app.command()
def checkpoints(
    job: JobArgument,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """The job's checkpoints by step, with their deployable model names and losses."""
    json_mode(as_json)
    target = _target(endpoint, stack, local, token, api_version, project_dir)
    found: list[dict[str, Any]] = _run(target, lambda c: c.checkpoints(job))
    if as_json:
        print_json({"jobId": job, "checkpoints": found})
        return
    out = console()
    if not found:
        out.print(f"job {job} has no checkpoints yet", markup=False)
        return
    steps = [str(c.get("step_number", "-")) for c in found]
    columns = ("model", "training loss", "step validation loss", "full validation loss")
    table = key_table(f"checkpoints of {job}", "step", steps, *columns)

    def number(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, int | float) else "-"

    records = []
    for step, checkpoint in zip(steps, found, strict=True):
        metrics = checkpoint.get("metrics") or {}
        values = (
            str(checkpoint.get("fine_tuned_model_checkpoint", "-")),
            number(metrics.get("train_loss")),
            number(metrics.get("valid_loss")),
            number(metrics.get("full_valid_loss")),
        )
        table.add_row(step, *values)
        records.append((f"step {step}", list(zip(columns, values, strict=True))))
    print_records(out, table, records)  # a list instead when the table would fold a model name


def _steer(verb: str, job: str, target: JobsTarget, as_json: bool) -> None:
    answer: dict[str, Any] = _run(target, lambda c: getattr(c, verb)(job))
    if as_json:
        print_json({"job": answer})
        return
    console().print(f"job {job}: {answer.get('status')}", markup=False)


@app.command()
def cancel(
    job: JobArgument,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """Cancel a pending or running job (trained steps are still billed)."""
    json_mode(as_json)
    _steer("cancel", job, _target(endpoint, stack, local, token, api_version, project_dir), as_json)


@app.command()
def pause(
    job: JobArgument,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """Pause a running job to look at its curves (`ftstack report`); `resume` continues it."""
    json_mode(as_json)
    _steer("pause", job, _target(endpoint, stack, local, token, api_version, project_dir), as_json)


@app.command()
def resume(
    job: JobArgument,
    endpoint: EndpointOption = None,
    stack: StackOption = None,
    local: LocalOption = False,
    as_json: JsonOption = False,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    project_dir: ProjectDirOption = None,
) -> None:
    """Resume a paused job from where it stopped."""
    json_mode(as_json)
    _steer("resume", job, _target(endpoint, stack, local, token, api_version, project_dir), as_json)
