"""One pass over a JSONL training file: split it into whole-line byte ranges, check them (in worker
processes, one per core, for large files) and merge the compact per-chunk results in file order."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from ftstack.catalog import ModelRow
from ftstack.training_data.chunk import ChunkResult, Histogram, LocalFinding, scan_chunk
from ftstack.training_data.context import CheckSettings, Method
from ftstack.training_data.duplicates import DigestBuckets, find_duplicates
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.rules import load_rules
from ftstack.training_data.tokenizer import get_encoding

# Files below this size are checked in the calling process: starting workers would cost more. Workers
# that cannot be forked (a threaded host) load their own encoding, so they pay off only on larger files.
IN_PROCESS_BELOW = 4 * 1024 * 1024
IN_PROCESS_BELOW_WITHOUT_FORK = 16 * 1024 * 1024
_MIN_CHUNK = 256 * 1024
_MAX_CHUNK = 8 * 1024 * 1024
_CHUNKS_PER_WORKER = 16  # enough chunks that both cores finish at about the same time
FINDING_CAP = 100  # findings kept per code; every finding is counted


@dataclass
class FileScan:
    """Everything one pass learned about a file: findings (the first `FINDING_CAP` of each code, with
    counts by code), token totals and histograms over the valid examples."""

    path: Path
    size: int
    settings: CheckSettings
    lines: int = 0
    examples: int = 0  # non-blank lines: each is one example, valid or not
    errors: list[Finding] = field(default_factory=list)
    error_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)
    warning_counts: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    capped_tokens: int = 0
    assistant_tokens: int = 0
    valid_examples: int = 0
    token_histogram: Histogram = field(default_factory=dict)
    assistant_histogram: Histogram = field(default_factory=dict)
    message_histogram: Histogram = field(default_factory=dict)
    duplicates: int = 0
    over_limit: int = 0
    max_example: int = 0
    max_example_line: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    missing_system: int = 0
    missing_user: int = 0
    image_examples: int = 0
    has_bom: bool = False

    @property
    def error_count(self) -> int:
        """Every error found, shown or not."""
        return sum(self.error_counts.values())

    @property
    def warning_count(self) -> int:
        """Every warning found, shown or not."""
        return sum(self.warning_counts.values())

    def add_error(self, finding: Finding, *, first: bool = False) -> None:
        """Count an error and show it (at the top with `first`) while its code is under the cap."""
        _add(self.errors, self.error_counts, finding, self.settings.finding_cap, first)

    def add_warning(self, finding: Finding, *, first: bool = False) -> None:
        """Count a warning and show it (at the top with `first`) while its code is under the cap."""
        _add(self.warnings, self.warning_counts, finding, self.settings.finding_cap, first)


def _add(shown: list[Finding], counts: dict[str, int], finding: Finding, cap: int, first: bool) -> None:
    seen = counts[finding.code] = counts.get(finding.code, 0) + 1
    if seen <= cap:
        shown.insert(0, finding) if first else shown.append(finding)


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


def threads_in_process() -> int:
    """The threads of this process, native ones included (a gRPC server's, a web server's)."""
    try:
        return sum(1 for _ in Path("/proc/self/task").iterdir())
    except OSError:  # no procfs: Python's own threads are all that can be seen
        return threading.active_count()


def worker_start_method() -> str:
    """How worker processes start: fork while this process has one thread (the workers share the
    loaded encoding); otherwise forkserver (or spawn), because a fork copies locks that other threads
    may hold, and a child that needs one of them never gets it."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threads_in_process() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _process_context(method: str) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # the server imports the checks once, instead of the host's __main__, and forks workers from it
        context.set_forkserver_preload(["ftstack.training_data.chunk"])
    return context


def scan_file(
    path: Path,
    settings: CheckSettings,
    *,
    workers: int | None = None,
    chunk_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileScan:
    """Check every line of `path` with `settings`; returns the merged findings, totals and histograms."""
    size = path.stat().st_size
    workers = workers or default_workers()
    method = worker_start_method()
    threshold = IN_PROCESS_BELOW if method == "fork" else IN_PROCESS_BELOW_WITHOUT_FORK
    small = size < threshold and chunk_bytes is None
    if chunk_bytes is None:
        chunk_bytes = min(_MAX_CHUNK, max(_MIN_CHUNK, size // (workers * _CHUNKS_PER_WORKER) + 1))
    ranges = plan_chunks(path, size, chunk_bytes)
    scan = FileScan(path=path, size=size, settings=settings)
    if workers == 1 or small or len(ranges) == 1:
        get_encoding(settings.encoding)  # an unavailable encoding fails here, before any work
        _merge_all(scan, (scan_chunk(path, a, b, settings) for a, b in ranges), progress)
    else:
        if method == "fork":
            get_encoding(settings.encoding)  # loaded before the workers fork, so they share it
        with ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(method)) as pool:
            pending = deque(pool.submit(scan_chunk, path, a, b, settings) for a, b in ranges)
            try:
                _merge_all(scan, _in_order(pending), progress)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    _finish(scan)
    return scan


def _in_order(pending: deque[Future[ChunkResult]]) -> Iterator[ChunkResult]:
    # each future is dropped once merged, so finished chunks do not stay in memory until the end
    while pending:
        yield pending.popleft().result()


def _merge_histogram(into: Histogram, other: Histogram) -> None:
    for value, count in other.items():
        into[value] = into.get(value, 0) + count


def _merge_all(
    scan: FileScan, results: Iterator[ChunkResult], progress: Callable[[int], None] | None
) -> None:
    cap = scan.settings.finding_cap
    digests = DigestBuckets()
    first_missing: dict[str, int | None] = {"system": None, "user": None}
    for chunk in results:
        offset = scan.lines
        if chunk.start == 0:
            scan.has_bom = chunk.has_bom
        _merge_findings(scan.errors, scan.error_counts, chunk.errors, chunk.error_counts, offset, cap)
        _merge_findings(scan.warnings, scan.warning_counts, chunk.warnings, chunk.warning_counts, offset, cap)
        scan.examples += chunk.examples
        scan.tokens += chunk.tokens
        scan.capped_tokens += chunk.capped_tokens
        scan.assistant_tokens += chunk.assistant_tokens
        scan.valid_examples += chunk.valid_examples
        _merge_histogram(scan.token_histogram, chunk.token_histogram)
        _merge_histogram(scan.assistant_histogram, chunk.assistant_histogram)
        _merge_histogram(scan.message_histogram, chunk.message_histogram)
        digests.extend(chunk.digests, offset)
        scan.over_limit += chunk.over_limit
        if chunk.max_example > scan.max_example and chunk.max_example_line is not None:
            scan.max_example, scan.max_example_line = chunk.max_example, chunk.max_example_line + offset
        for role, count in chunk.roles.items():
            scan.roles[role] = scan.roles.get(role, 0) + count
        scan.missing_system += chunk.missing_system
        scan.missing_user += chunk.missing_user
        if first_missing["system"] is None and chunk.first_missing_system_line is not None:
            first_missing["system"] = chunk.first_missing_system_line + offset
        if first_missing["user"] is None and chunk.first_missing_user_line is not None:
            first_missing["user"] = chunk.first_missing_user_line + offset
        scan.image_examples += chunk.image_examples
        scan.lines += chunk.lines
        if progress is not None:
            progress(chunk.end)
    scan.duplicates, shown = find_duplicates(digests, scan.settings.finding_cap)
    del digests
    if scan.duplicates:
        scan.warning_counts[Code.DUPLICATE_EXAMPLE] = scan.duplicates
        scan.warnings.extend(shown)
    if scan.missing_system:
        scan.add_warning(
            Finding(
                first_missing["system"],
                Code.MISSING_SYSTEM_MESSAGE,
                f"{scan.missing_system:,} of {scan.examples:,} examples have no system message (first on this line); "
                "use the same system message you will use at inference",
            )
        )
    if scan.missing_user:
        scan.add_warning(
            Finding(
                first_missing["user"],
                Code.MISSING_USER_MESSAGE,
                f"{scan.missing_user:,} of {scan.examples:,} examples have no user message (first on this line); "
                "the model learns to answer without being asked, unlike at inference",
            )
        )


def _merge_findings(
    shown: list[Finding],
    counts: dict[str, int],
    chunk_findings: list[LocalFinding],
    chunk_counts: dict[str, int],
    offset: int,
    cap: int,
) -> None:
    # chunks arrive in file order, each with the first `cap` findings of each of its codes: one is
    # kept while the file's count of its code, this one included, is within the cap
    seen = dict(counts)
    for line, code, message in chunk_findings:
        number = seen[code] = seen.get(code, 0) + 1
        if number <= cap:
            shown.append(Finding(line + offset, code, message))
    for code, total in chunk_counts.items():
        counts[code] = counts.get(code, 0) + total


def _finish(scan: FileScan) -> None:
    rules = scan.settings.rules
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
    for finding in reversed(file_errors):
        scan.add_error(finding, first=True)
    if scan.size and not scan.has_bom:
        scan.add_warning(
            Finding(
                None,
                Code.NO_BOM,
                "the file has no UTF-8 byte-order mark; Azure's docs ask for UTF-8 with BOM (files without one are "
                "accepted too)",
            )
        )
    # file-wide warnings first, then by line (duplicates were found after the line findings)
    scan.warnings.sort(key=lambda f: -1 if f.line is None else f.line)
