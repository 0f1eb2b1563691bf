"""`ftstack matrix`: list the capability matrix, check one request, compare it with Azure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftstack.catalog import CatalogError, TrainingType, load_matrix
from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, fail, json_mode, print_json
from ftstack.cli.options import JsonOption
from ftstack.cli.output import console as Console  # noqa: N812  (one factory decides colour and width)
from ftstack.cli.output import key_table, print_records

app = typer.Typer(help="The fine-tuning capability matrix.", no_args_is_help=True)


def matrix_rows_json() -> list[dict[str, object]]:
    """Every matrix row as JSON, regions as ARM names, with provenance."""
    matrix = load_matrix()
    out: list[dict[str, object]] = []
    for row in matrix.rows:
        alternatives = matrix.alternatives(row)
        out.append(
            {
                "model": row.model,
                "version": row.version,
                "standardRegions": list(row.standard_regions),
                "globalTraining": row.global_training,
                "globalTrainingRegions": list(alternatives[TrainingType.GLOBAL]),
                "maxInputTokens": row.max_input_tokens,
                "maxOutputTokens": row.max_output_tokens,
                "trainingExampleContextLength": row.training_example_context_length,
                "exampleTokenLimit": row.example_token_limit,
                "trainingDataCutoff": row.training_data_cutoff,
                "modality": row.modality,
                "methods": list(row.methods),
                "encoding": row.encoding,
                "provenance": {
                    "source": row.provenance.source,
                    "title": row.provenance.title,
                    "recorded": row.provenance.recorded,
                },
            }
        )
    return out


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List every model and version with where it can be trained."""
    json_mode(as_json)
    matrix = load_matrix()
    if as_json:
        print_json({"models": matrix_rows_json(), "globalTrainingRegions": list(matrix.global_regions)})
        return
    display = {r.name: r.display_name for r in matrix.regions}
    keys = [f"{row.model} {row.version}" for row in matrix.rows]
    table = key_table(
        "Fine-tuning capability matrix",
        "Model and version",
        keys,
        "Standard training regions",
        "Global",
        "Max input/output",
        "Example limit",
        "Data to",
        "Modality",
    )
    records = []
    for key, row in zip(keys, matrix.rows, strict=True):
        values = [
            ", ".join(display[r] for r in row.standard_regions),
            "yes" if row.global_training else "-",
            f"{row.max_input_tokens:,}/{row.max_output_tokens:,}"
            if row.max_output_tokens
            else f"{row.max_input_tokens:,}",
            f"{row.example_token_limit:,}",
            row.training_data_cutoff,
            row.modality,
        ]
        table.add_row(key, *values)
        records.append((key, list(zip([str(c.header) for c in table.columns[1:]], values, strict=True))))
    console = Console()
    print_records(console, table, records)
    no_vision = ", ".join(display[r] for r in matrix.global_no_vision_regions)
    console.print(
        "Global training (no data residency) needs the resource in: "
        + ", ".join(display[r] for r in matrix.global_regions)
        + f" ({no_vision}: no vision support).",
        markup=False,
    )


@app.command()
def check(
    model: Annotated[
        str, typer.Option("--model", help="Base model: gpt-4o-mini, or Azure's gpt-4o-mini-2024-07-18.")
    ],
    region: Annotated[str, typer.Option("--region", help="ARM name or display name.")],
    training: Annotated[
        str,
        typer.Option(
            "--training",
            metavar="standard|global",
            help="standard or global (Azure: Standard, GlobalStandard).",
        ),
    ],
    version: Annotated[str | None, typer.Option("--version", help="Model version.")] = None,
    vision: Annotated[bool, typer.Option("--vision", help="The training data has images.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Decide whether a model can be trained in a region; exit 1 when it cannot."""
    json_mode(as_json)
    matrix = load_matrix()
    try:
        kind = TrainingType.parse(training)
        row = matrix.resolve_row(model, version, region, kind, vision)
        decision = matrix.check(row.model, row.version, region, kind, vision)
    except CatalogError as exc:
        fail(str(exc))
    if as_json:
        print_json(decision.to_json())
    else:
        console = Console()
        verdict = "[green]allowed[/green]" if decision.allowed else "[red]not allowed[/red]"
        region_name = matrix.regions.get(decision.region).display_name
        console.print(f"{row.label}, {kind.value} training in {region_name}: {verdict}")
        for reason in decision.reasons:
            console.print(f"  - {reason}")
        display = {r.name: r.display_name for r in matrix.regions}
        for t, regions in decision.alternatives.items():
            console.print(
                f"  {t.value} training available in: {', '.join(display[r] for r in regions) or 'none'}"
            )
    if not decision.allowed:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


@app.command()
def refresh(
    regions: Annotated[
        list[str] | None,
        typer.Option(
            "--region", help="Region to compare (repeatable; default: every region the matrix names)."
        ),
    ] = None,
    subscription: Annotated[
        str | None,
        typer.Option("--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id."),
    ] = None,
    recorded: Annotated[
        Path | None,
        typer.Option(
            "--recorded", help="Folder of saved Models API responses (<location>.json) instead of Azure."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the matrix file with Azure's Models API and print where they disagree (never edits the file)."""
    import logging

    json_mode(as_json)
    from ftstack.arm.models_api import ModelsApiError, list_location_models

    logging.getLogger("azure").setLevel(logging.CRITICAL)  # the one-line error below says what failed
    from ftstack.catalog.drift import compare

    matrix = load_matrix()
    try:
        names = [matrix.regions.get(r).name for r in regions] if regions else _matrix_regions()
    except CatalogError as exc:
        fail(str(exc))
    kwargs: dict[str, object] = {}
    if recorded is not None:
        from ftstack.arm.recorded import OfflineCredential, recorded_transport

        if not recorded.is_dir():
            fail(f"--recorded {recorded}: no such folder")
        kwargs = {"credential": OfflineCredential(), "transport": recorded_transport(recorded)}
        subscription = subscription or "00000000-0000-0000-0000-000000000000"
    if not subscription:
        fail("no subscription: pass --subscription ID or set AZURE_SUBSCRIPTION_ID")
    try:
        azure = list_location_models(subscription, names, **kwargs)  # type: ignore[arg-type]
    except ModelsApiError as exc:
        fail(str(exc))
    diffs = compare(matrix, azure)
    if as_json:
        print_json({"regions": names, "differences": [d.to_json() for d in diffs]})
    else:
        console = Console()
        if not diffs:
            console.print(f"[green]The matrix agrees with Azure[/green] in {', '.join(names)}.")
        for d in diffs:
            console.print(f"- {d.kind}: {d.message}", markup=False)
        if diffs:
            console.print(
                f"{len(diffs)} difference(s); the file was not changed. Edit "
                "ftstack/catalog/data/models.yaml with a source for each new fact."
            )
    if diffs:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)


def _matrix_regions() -> list[str]:
    matrix = load_matrix()
    named = {r for row in matrix.rows for r in row.standard_regions} | set(matrix.global_regions)
    return [r for r in matrix.regions.names() if r in named]
