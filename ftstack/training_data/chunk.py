"""Checking one byte range of a JSONL file (whole lines): the unit of work of a worker process.
A chunk's result is compact (capped findings, per-example counters, 8-byte hashes), so the parent
process keeps constant memory whatever the file size."""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from ftstack.training_data.chat import check_chat_example
from ftstack.training_data.context import CheckContext, CheckSettings, ExampleTally
from ftstack.training_data.dpo import check_dpo_example
from ftstack.training_data.findings import Code

BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n\f\v"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every line; NaN and Infinity are Python extensions that JSON does not allow.
JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def json_type_name(value: object) -> str:
    """How JSON names the type of a parsed value ("an array", "null", ...)."""
    return "null" if value is None else _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


LocalFinding = tuple[int, str, str]  # (line within the chunk, code, message)


@dataclass
class ChunkResult:
    """What one chunk holds: its lines, capped findings with chunk-local line numbers, and one entry
    per example in the per-example arrays (tokens, assistant tokens, messages); content hashes and
    lines of the examples that are JSON objects."""

    start: int
    end: int
    lines: int = 0
    errors: list[LocalFinding] = field(default_factory=list)
    error_count: int = 0
    warnings: list[LocalFinding] = field(default_factory=list)
    warning_count: int = 0
    tokens: array[int] = field(default_factory=lambda: array("Q"))
    assistant_tokens: array[int] = field(default_factory=lambda: array("Q"))
    messages: array[int] = field(default_factory=lambda: array("I"))
    hashes: array[int] = field(default_factory=lambda: array("Q"))
    example_lines: array[int] = field(default_factory=lambda: array("Q"))
    over_limit: int = 0
    max_example: int = 0
    max_example_line: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    missing_system: int = 0
    first_missing_system_line: int | None = None
    image_examples: int = 0
    has_bom: bool = False

    def error(self, line: int, code: str, message: str, cap: int) -> None:
        """Record an error (kept while under the cap, always counted)."""
        self.error_count += 1
        if len(self.errors) < cap:
            self.errors.append((line, code, message))

    def warning(self, line: int, code: str, message: str, cap: int) -> None:
        """Record a warning (kept while under the cap, always counted)."""
        self.warning_count += 1
        if len(self.warnings) < cap:
            self.warnings.append((line, code, message))


_contexts: dict[CheckSettings, CheckContext] = {}


def _context(settings: CheckSettings) -> CheckContext:
    # one context (encoding, text cache) per process and settings
    found = _contexts.get(settings)
    if found is None:
        found = _contexts[settings] = CheckContext(settings)
    return found


def read_chunk(path: Path, start: int, end: int) -> bytes:
    """The bytes of [start, end) of the file."""
    with path.open("rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def scan_chunk(path: Path, start: int, end: int, settings: CheckSettings) -> ChunkResult:
    """Check every line in [start, end) of `path`; `start` is 0 or just after a newline."""
    return scan_bytes(read_chunk(path, start, end), start, end, settings)


def scan_bytes(data: bytes, start: int, end: int, settings: CheckSettings) -> ChunkResult:
    """Check every line of `data`, the bytes [start, end) of a file."""
    ctx = _context(settings)
    cap = settings.finding_cap
    check = check_dpo_example if settings.method == "dpo" else check_chat_example
    result = ChunkResult(start, end)
    if start == 0 and data.startswith(BOM):
        result.has_bom = True
        data = data[len(BOM) :]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the text after the final newline is not a line
    result.lines = len(lines)
    decode = JSON_DECODER.decode
    blake2b = hashlib.blake2b
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip(_WHITESPACE)
        if not stripped:
            result.warning(number, Code.BLANK_LINE, "blank line; the service may reject it, remove it", cap)
            continue
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"byte {exc.start + 1} of the line is not UTF-8 ({exc.reason})"
            result.error(number, Code.INVALID_UTF8, message, cap)
            _no_counts(result)
            continue
        try:
            example = decode(text)
        except ValueError as exc:
            result.error(number, Code.INVALID_JSON, f"not valid JSON: {exc}", cap)
            _no_counts(result)
            continue
        except RecursionError:
            result.error(number, Code.INVALID_JSON, "JSON nested too deeply", cap)
            _no_counts(result)
            continue
        if not isinstance(example, dict):
            result.error(
                number,
                Code.NOT_AN_OBJECT,
                f"the line is {json_type_name(example)}; each line must be one JSON object",
                cap,
            )
            _no_counts(result)
            continue
        # duplicates are looked for among JSON objects only: a repeated broken line is already an error
        result.example_lines.append(number)
        result.hashes.append(int.from_bytes(blake2b(stripped, digest_size=8).digest(), "little"))
        try:
            tally = check(example, ctx)
        except RecursionError:
            tally = ExampleTally()
            tally.error(Code.INVALID_CONTENT, "the example is nested too deeply")
        _record(result, number, tally, settings)
    return result


def _no_counts(result: ChunkResult) -> None:
    result.tokens.append(0)
    result.assistant_tokens.append(0)
    result.messages.append(0)


def _record(result: ChunkResult, number: int, tally: ExampleTally, settings: CheckSettings) -> None:
    limit, cap = settings.example_token_limit, settings.finding_cap
    for code, message in tally.errors:
        result.error(number, code, message, cap)
    max_images = settings.rules.max_images_per_example
    if tally.images > max_images:
        message = f"the example has {tally.images} images; at most {max_images} per example"
        result.error(number, Code.TOO_MANY_IMAGES, message, cap)
    if tally.limit_tokens > limit:
        result.over_limit += 1
        result.error(
            number,
            Code.EXAMPLE_TOO_LONG,
            f"the example has {tally.limit_tokens:,} tokens; this model takes at most {limit:,} per example",
            cap,
        )
    if tally.tokens > result.max_example:
        result.max_example, result.max_example_line = tally.tokens, number
    result.tokens.append(tally.tokens)
    result.assistant_tokens.append(tally.assistant_tokens)
    result.messages.append(tally.messages)
    for role, count in tally.roles.items():
        result.roles[role] = result.roles.get(role, 0) + count
    if tally.missing_system and not tally.errors:
        result.missing_system += 1
        if result.first_missing_system_line is None:
            result.first_missing_system_line = number
    if tally.images:
        result.image_examples += 1
