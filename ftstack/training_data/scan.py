"""One pass over a JSONL training file: split it into whole-line byte ranges, check them (in worker
processes, one per core, for large files) and merge the compact per-chunk results in file order."""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from ftstack.catalog import ModelRow
from ftstack.training_data.chunk import ChunkResult, scan_chunk
from ftstack.training_data.context import CheckSettings, Method
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.rules import load_rules
from ftstack.training_data.tokenizer import get_encoding

# Files below this size are checked in the calling process: starting workers would cost more.
IN_PROCESS_BELOW = 4 * 1024 * 1024
_MIN_CHUNK = 256 * 1024
_MAX_CHUNK = 8 * 1024 * 1024
_CHUNKS_PER_WORKER = 16  # enough chunks that both cores finish at about the same time
FINDING_CAP = 100


@dataclass
class FileScan:
    """Everything one pass learned about a file: findings (capped, with totals) and per-example arrays."""

    path: Path
    size: int
    settings: CheckSettings
    lines: int = 0
    errors: list[Finding] = field(default_factory=list)
    error_count: int = 0
    warnings: list[Finding] = field(default_factory=list)
    warning_count: int = 0
    tokens: array[int] = field(default_factory=lambda: array("Q"))
    assistant_tokens: array[int] = field(default_factory=lambda: array("Q"))
    messages: array[int] = field(default_factory=lambda: array("I"))
    duplicates: int = 0
    over_limit: int = 0
    max_example: int = 0
    max_example_line: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    missing_system: int = 0
    image_examples: int = 0
    has_bom: bool = False

    @property
    def examples(self) -> int:
        """Non-blank lines: each is one example, valid or not."""
        return len(self.tokens)


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def settings_for(row: ModelRow, method: Method) -> CheckSettings:
    """The check settings for a model row and training method."""
    return CheckSettings(
        encoding=row.encoding,
        vision=row.vision,
        example_token_limit=row.example_token_limit,
        method=method,
        rules=load_rules(),
        finding_cap=FINDING_CAP,
    )


def plan_chunks(path: Path, size: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of about `chunk_bytes` that each end just after a newline (or at the end of file)."""
    bounds = [0]
    with path.open("rb") as handle:
        position = chunk_bytes
        while position < size:
            handle.seek(position)
            while True:
                block = handle.read(64 * 1024)
                if not block:
                    position = size
                    break
                newline = block.find(b"\n")
                if newline >= 0:
                    position += newline + 1
                    break
                position += len(block)
            if position < size:
                bounds.append(position)
            position = max(position, bounds[-1]) + chunk_bytes
    bounds.append(size)
    return [(a, b) for a, b in pairwise(bounds) if b > a]


def scan_file(
    path: Path,
    settings: CheckSettings,
    *,
    workers: int | None = None,
    chunk_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileScan:
    """Check every line of `path` with `settings`; returns the merged findings and per-example arrays."""
    size = path.stat().st_size
    workers = workers or default_workers()
    small = size < IN_PROCESS_BELOW and chunk_bytes is None
    if chunk_bytes is None:
        chunk_bytes = min(_MAX_CHUNK, max(_MIN_CHUNK, size // (workers * _CHUNKS_PER_WORKER) + 1))
    ranges = plan_chunks(path, size, chunk_bytes)
    scan = FileScan(path=path, size=size, settings=settings)
    # loaded before workers fork, so they share it instead of each loading its own copy
    get_encoding(settings.encoding)
    if workers == 1 or small or len(ranges) == 1:
        results: Iterator[ChunkResult] = (scan_chunk(path, a, b, settings) for a, b in ranges)
        _merge_all(scan, results, progress)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context()) as pool:
            futures = [pool.submit(scan_chunk, path, a, b, settings) for a, b in ranges]
            try:
                _merge_all(scan, (_result(f) for f in futures), progress)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    _finish(scan)
    return scan


def _result(future: Future[ChunkResult]) -> ChunkResult:
    return future.result()


def _process_context() -> multiprocessing.context.BaseContext:
    # fork shares the loaded encoding with the workers; elsewhere each worker loads its own
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _merge_all(
    scan: FileScan, results: Iterator[ChunkResult], progress: Callable[[int], None] | None
) -> None:
    cap = scan.settings.finding_cap
    hashes: array[int] = array("Q")
    hash_lines: array[int] = array("Q")
    first_missing_system: int | None = None
    for chunk in results:
        offset = scan.lines
        if chunk.start == 0:
            scan.has_bom = chunk.has_bom
        for line, code, message in chunk.errors:
            if len(scan.errors) < cap:
                scan.errors.append(Finding(line + offset, code, message))
        for line, code, message in chunk.warnings:
            if len(scan.warnings) < cap:
                scan.warnings.append(Finding(line + offset, code, message))
        scan.error_count += chunk.error_count
        scan.warning_count += chunk.warning_count
        scan.tokens.extend(chunk.tokens)
        scan.assistant_tokens.extend(chunk.assistant_tokens)
        scan.messages.extend(chunk.messages)
        hashes.extend(chunk.hashes)
        hash_lines.extend(line + offset for line in chunk.example_lines)
        scan.over_limit += chunk.over_limit
        if chunk.max_example > scan.max_example and chunk.max_example_line is not None:
            scan.max_example, scan.max_example_line = chunk.max_example, chunk.max_example_line + offset
        for role, count in chunk.roles.items():
            scan.roles[role] = scan.roles.get(role, 0) + count
        scan.missing_system += chunk.missing_system
        if first_missing_system is None and chunk.first_missing_system_line is not None:
            first_missing_system = chunk.first_missing_system_line + offset
        scan.image_examples += chunk.image_examples
        scan.lines += chunk.lines
        if progress is not None:
            progress(chunk.end)
    _duplicates(scan, hashes, hash_lines)
    if scan.missing_system:
        scan.warning_count += 1
        scan.warnings.append(
            Finding(
                first_missing_system,
                Code.MISSING_SYSTEM_MESSAGE,
                f"{scan.missing_system:,} of {scan.examples:,} examples have no system message (first on this line); "
                "use the same system message you will use at inference",
            )
        )


def _duplicates(scan: FileScan, hashes: array[int], lines: array[int]) -> None:
    # sort a copy to find the repeated hashes, then walk in file order to name each repeat's first line
    ordered = sorted(hashes)
    repeated = {a for a, b in pairwise(ordered) if a == b}
    del ordered
    if not repeated:
        return
    first: dict[int, int] = {}
    found: list[Finding] = []
    for digest, line in zip(hashes, lines, strict=True):
        if digest not in repeated:
            continue
        if digest in first:
            scan.duplicates += 1
            if len(found) < scan.settings.finding_cap:
                found.append(Finding(line, Code.DUPLICATE_EXAMPLE, f"same example as line {first[digest]}"))
        else:
            first[digest] = line
    scan.warning_count += scan.duplicates
    scan.warnings.extend(found)


def _finish(scan: FileScan) -> None:
    rules = scan.settings.rules
    cap = scan.settings.finding_cap
    file_errors: list[Finding] = []
    if scan.size > rules.max_file_bytes:
        file_errors.append(
            Finding(
                None,
                Code.FILE_TOO_LARGE,
                f"the file is {scan.size:,} bytes; Azure takes at most {rules.max_file_bytes:,} per file; split it "
                "(`ftstack data split`) or upload through blob import",
            )
        )
    if scan.examples < rules.min_examples:
        file_errors.append(
            Finding(
                None,
                Code.TOO_FEW_EXAMPLES,
                f"the file has {scan.examples} example{'s' if scan.examples != 1 else ''}; "
                f"fine-tuning needs at least {rules.min_examples} (hundreds or thousands work better)",
            )
        )
    if scan.image_examples > rules.max_image_examples_per_file:
        file_errors.append(
            Finding(
                None,
                Code.TOO_MANY_IMAGE_EXAMPLES,
                f"{scan.image_examples:,} examples have images; at most {rules.max_image_examples_per_file:,} per file",
            )
        )
    scan.error_count += len(file_errors)
    scan.errors = (file_errors + scan.errors)[:cap]
    file_warnings: list[Finding] = []
    if scan.size and not scan.has_bom:
        file_warnings.append(
            Finding(
                None,
                Code.NO_BOM,
                "the file has no UTF-8 byte-order mark; Azure's docs ask for UTF-8 with BOM (files without one are "
                "accepted too)",
            )
        )
    scan.warning_count += len(file_warnings)
    scan.warnings = (file_warnings + sorted(scan.warnings, key=lambda f: f.line or 0))[:cap]
