"""`ftstack report`: a job's loss and accuracy curves as a PNG and a Markdown summary, best checkpoint marked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, ensure_folder, fail
from ftstack.cli.options import ApiVersionOption, TokenOption
from ftstack.cli.output import console as Console  # noqa: N812  (one factory decides colour and width)
from ftstack.data_plane import DEFAULT_API_VERSION, is_url


def report_command(
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint",
            metavar="URL",
            help="Azure OpenAI endpoint, e.g. https://NAME.openai.azure.com (or .../openai/v1).",
        ),
    ],
    job: Annotated[str, typer.Option("--job", help="Fine-tuning job id (ftjob-...).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for curves.png and report.md.")] = Path("report"),
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
) -> None:
    """Draw the job's training and validation curves and summarise its checkpoints and events; exit 1 when
    the job failed or was cancelled."""
    # Imported here: matplotlib and openai take a while to load, and most commands need neither.
    from ftstack.evaluation.chat_client import Endpoint
    from ftstack.reporting.job_client import JobReadError, fetch_job_records
    from ftstack.reporting.job_report import build_report, write_report
    from ftstack.reporting.training_results import ResultsFileError

    if not is_url(endpoint):
        fail(f"--endpoint {endpoint}: expected a URL like https://NAME.openai.azure.com")
    ensure_folder(out)
    console = Console(stderr=True)
    try:
        with console.status(f"reading {job}"):
            records = fetch_job_records(Endpoint(endpoint, token, api_version), job)
        report = build_report(records)
    except (JobReadError, ResultsFileError) as exc:
        fail(str(exc))
    files = write_report(report, out)
    out_console = Console()
    job_facts = report.job
    of = f" of {report.total_steps}" if report.total_steps else ""
    messages = sum(1 for e in report.events if e.get("type", "message") != "metrics")
    out_console.print(
        f"job {report.job_id} {report.status}: {job_facts.get('model')} -> "
        f"{job_facts.get('fine_tuned_model') or '(no model)'}; {report.curve.last_step}{of} steps, "
        f"{len(report.checkpoints)} checkpoints, {len(report.events)} events ({messages} messages)",
        markup=False,
    )
    if report.best is not None:
        out_console.print(
            f"best checkpoint by {report.best_measure or 'validation loss'}: step {report.best.step}, "
            f"{report.best_model} ({report.best_reason})",
            markup=False,
        )
    elif not report.failed:
        out_console.print(f"no best checkpoint: {report.best_reason}", markup=False)
    out_console.print(f"wrote {files.curves_png} and {files.summary_md}", markup=False)
    if report.failed:
        fail(
            f"job {report.job_id} {report.status}: {report.error or 'the service gave no reason'}",
            code=EXIT_FOUND_PROBLEMS,
        )
