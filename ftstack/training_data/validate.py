"""The validation engine's entry point, used by the CLI, the FineTuningJob check and the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftstack.catalog import ModelRow
from ftstack.training_data.context import Method
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.report import ValidationReport, report_from_scan
from ftstack.training_data.scan import FileScan, scan_file, settings_for


def scan_for_model(
    path: Path,
    row: ModelRow,
    method: Method = "supervised",
    *,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    chunk_bytes: int | None = None,
) -> FileScan:
    """One pass over `path` with the limits of `row`; a method the model does not offer is an error."""
    scan = scan_file(
        Path(path), settings_for(row, method), workers=workers, chunk_bytes=chunk_bytes, progress=progress
    )
    if method not in row.methods:
        scan.add_error(
            Finding(
                None,
                Code.METHOD_NOT_SUPPORTED,
                f"{row.label} cannot be trained with {method}; it offers {', '.join(row.methods)}",
            ),
            first=True,
        )
    return scan


def validate_file(
    path: Path,
    row: ModelRow,
    method: Method = "supervised",
    *,
    progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """The validation report of a JSONL training file for a model row and method; `progress` gets the
    bytes checked so far."""
    return report_from_scan(scan_for_model(path, row, method, progress=progress))
