"""`ftstack data`: validate a training file for a model, describe it, split it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from ftstack.catalog import CatalogError, ModelRow, load_matrix
from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, ensure_folder, fail, json_mode, print_json
from ftstack.cli.output import console as output_console  # one factory decides colour and width
from ftstack.training_data import EncodingUnavailableError, Finding, ValidationReport
from ftstack.training_data.report import report_from_scan
from ftstack.training_data.scan import FileScan
from ftstack.training_data.split import SplitRefusedError, split_file
from ftstack.training_data.stats import DataStats, stats_from_scan
from ftstack.training_data.validate import scan_for_model

app = typer.Typer(help="Validate, describe and split JSONL training data, offline.", no_args_is_help=True)

# Below this size the check takes well under a second: no progress bar.
_PROGRESS_FROM_BYTES = 8 * 1024 * 1024


class MethodChoice(StrEnum):
    supervised = "supervised"
    dpo = "dpo"


FileArg = Annotated[Path, typer.Argument(help="A JSONL training file.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Base model, e.g. gpt-4o-mini.")]
VersionOpt = Annotated[
    str | None, typer.Option("--version", help="Model version (needed when it has several).")
]
# Any case (`DPO`, `Supervised`), as Azure spells methods; the matrix spells them in lower case.
MethodOpt = Annotated[
    MethodChoice, typer.Option("--method", case_sensitive=False, help="supervised or dpo (any case).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _inputs(path: Path, model: str, version: str | None) -> ModelRow:
    problems: list[str] = []
    row = None
    try:
        row = load_matrix().resolve_row(model, version)
    except CatalogError as exc:
        problems.append(str(exc))
    if not path.is_file():
        problems.append(f"{path}: no such file; give the path of a JSONL training file")
    if problems or row is None:
        fail(problems)
    return row


@contextmanager
def _progress(path: Path, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    size = path.stat().st_size
    if quiet or size < _PROGRESS_FROM_BYTES:
        yield None
        return
    # refreshed by hand from the callback: no refresh thread runs while worker processes fork
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=output_console(stderr=True),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(f"checking {path.name}", total=size)

        def advance(done: int) -> None:
            bar.update(task, completed=done)
            bar.refresh()

        yield advance


def _scan(path: Path, row: ModelRow, method: MethodChoice, quiet: bool) -> FileScan:
    try:
        with _progress(path, quiet) as progress:
            return scan_for_model(path, row, method.value, progress=progress)
    except EncodingUnavailableError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror or exc})")


def _findings_table(title: str, findings: list[Finding], counts: dict[str, int], style: str) -> Table:
    total = sum(counts.values())
    table = Table(title=f"{title} ({total:,})" if total > len(findings) else title, title_justify="left")
    table.add_column("line", justify="right")
    table.add_column("code", style=style)
    table.add_column("message")
    for finding in findings:
        table.add_row("-" if finding.line is None else str(finding.line), finding.code, finding.message)
    shown: dict[str, int] = {}
    for finding in findings:
        shown[finding.code] = shown.get(finding.code, 0) + 1
    for code, count in sorted(counts.items()):
        if count > shown.get(code, 0):  # the first 100 of each code are shown
            table.add_row("", code, f"... and {count - shown.get(code, 0):,} more not shown")
    return table


def _print_report(console: Console, path: Path, row: ModelRow, report: ValidationReport) -> None:
    if report.errors:
        console.print(_findings_table("Errors", report.errors, report.error_counts, "red"))
    if report.warnings:
        console.print(_findings_table("Warnings", report.warnings, report.warning_counts, "yellow"))
    verdict = "[green]valid[/green]" if report.valid else "[red]invalid[/red]"
    tokens = report.tokens
    console.print(
        f"{path.name} for {row.label}: {verdict}; {report.examples:,} examples, {tokens.total:,} tokens "
        f"({tokens.encoding}), longest example {tokens.max_example:,} of {tokens.limit:,} allowed; "
        f"about {report.billed_tokens_estimate:,} billed tokens over {report.epochs} epochs (auto)"
    )


@app.command()
def validate(
    file: FileArg,
    model: ModelOpt,
    version: VersionOpt = None,
    method: MethodOpt = MethodChoice.supervised,
    as_json: JsonOpt = False,
) -> None:
    """Check a training file against the model's limits and Azure's data rules; exit 1 when invalid."""
    json_mode(as_json)
    row = _inputs(file, model, version)
    report = report_from_scan(_scan(file, row, method, as_json))
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(output_console(), file, row, report)
    if not report.valid:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


def _print_stats(console: Console, path: Path, row: ModelRow, stats: DataStats) -> None:
    table = Table(
        title=f"{path.name}: {stats.report.examples:,} examples for {row.label} "
        f"(distributions over the {stats.valid_examples:,} valid ones)",
        title_justify="left",
    )
    table.add_column("per example")
    for column in ("min", "p5", "p50", "p95", "max", "mean"):
        table.add_column(column, justify="right")
    for label, dist in (
        ("messages", stats.messages),
        ("tokens", stats.tokens),
        ("assistant tokens", stats.assistant_tokens),
    ):
        table.add_row(
            label, *(f"{v:,}" for v in (dist.min, dist.p5, dist.p50, dist.p95, dist.max)), f"{dist.mean:,.1f}"
        )
    console.print(table)
    roles = Table(title="Messages by role", title_justify="left")
    roles.add_column("role")
    roles.add_column("messages", justify="right")
    for role, count in stats.roles.items():
        roles.add_row(role, f"{count:,}")
    console.print(roles)
    report = stats.report
    console.print(
        f"examples over the {report.tokens.limit:,}-token limit: {stats.over_limit:,}; "
        f"duplicates: {report.duplicates:,}; "
        + (
            "[green]valid[/green]"
            if report.valid
            else f"[red]invalid[/red] ({report.error_count:,} errors: "
            "run `ftstack data validate` for the list)"
        )
    )
    console.print(f"epochs: {stats.epochs_reason}")
    line = f"billed tokens: {stats.billed_tokens:,} (tokens in the file x {stats.epochs} epochs)"
    if stats.cost is not None:
        line += f"; estimated cost {stats.cost:,.2f} at {stats.price_per_million:g} per million tokens"
    else:
        line += "; pass --price-per-million-tokens for a cost estimate"
    console.print(line)


@app.command()
def stats(
    file: FileArg,
    model: ModelOpt,
    version: VersionOpt = None,
    method: MethodOpt = MethodChoice.supervised,
    epochs: Annotated[str, typer.Option("--epochs", help="Training epochs, or auto.")] = "auto",
    price: Annotated[
        float | None,
        typer.Option(
            "--price-per-million-tokens",
            help="Your training price per million tokens, for a cost estimate.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show distributions of messages and tokens per valid example, and the billed tokens and cost;
    exit 1 when the file is invalid, as `validate` does."""
    json_mode(as_json)
    chosen: int | None = None
    if epochs != "auto":
        if not epochs.isdigit() or not 1 <= int(epochs) <= 50:
            fail(f"--epochs {epochs!r}: give a whole number of epochs from 1 to 50, or auto")
        chosen = int(epochs)
    if price is not None and not (math.isfinite(price) and price >= 0):
        fail(f"--price-per-million-tokens {price}: give a finite price of 0 or more, e.g. 3.0")
    row = _inputs(file, model, version)
    result = stats_from_scan(_scan(file, row, method, as_json), chosen, price)
    if as_json:
        print_json(result.to_json())
    else:
        _print_stats(output_console(), file, row, result)
    if not result.report.valid:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


@app.command()
def split(
    file: FileArg,
    validation: Annotated[
        float, typer.Option("--validation", help="Fraction for the validation file.")
    ] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same split.")] = 0,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "--out-dir", help="Where to write (default: beside FILE); --out-dir is the old spelling."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Split a file into FILE.train.jsonl and FILE.validation.jsonl: deterministic, stratified by
    length, duplicates removed."""
    json_mode(as_json)
    if not file.is_file():
        fail(f"{file}: no such file; give the path of a JSONL training file")
    if not 0 < validation < 1:
        fail(f"--validation {validation}: give a fraction between 0 and 1, e.g. 0.1")
    folder = file.parent
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            fail(f"--out-dir {out_dir}: is a file, not a folder; give a folder to write the halves into")
        folder = ensure_folder(out_dir, "--out")
    stem = file.name.removesuffix(".jsonl")
    try:
        result = split_file(
            file, validation, seed, folder / f"{stem}.train.jsonl", folder / f"{stem}.validation.jsonl"
        )
    except SplitRefusedError as exc:
        fail(f"{file}: {exc}")
    except OSError as exc:
        where = exc.filename or folder
        fail(f"{where}: cannot be written ({exc.strerror or exc}); give a writable --out-dir")
    if as_json:
        print_json(result.to_json())
    elif result.errors:
        output_console().print(
            _findings_table(
                "Lines that are not JSON objects (nothing written)",
                result.errors,
                {f.code: sum(e.code == f.code for e in result.errors) for f in result.errors},
                "red",
            )
        )
    else:
        output_console().print(
            f"wrote {result.train:,} examples to {result.train_path} and {result.validation:,} to "
            f"{result.validation_path}; {result.duplicates_removed:,} duplicate"
            f"{'s' if result.duplicates_removed != 1 else ''} removed"
            + (
                f" (lines {', '.join(map(str, result.duplicate_lines[:10]))}"
                f"{', ...' if len(result.duplicate_lines) > 10 else ''})"
                if result.duplicate_lines
                else ""
            )
        )
    if result.errors:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


if __name__ == "__main__":  # `python -m ftstack.cli.data`: the data commands without the rest of the CLI
    app()
