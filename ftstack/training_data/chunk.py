"""Checking one byte range of a JSONL file (whole lines): the unit of work of a worker process.
A chunk's result is compact (findings capped per code, counters, histograms and 12 bytes per example
for finding duplicates), so the parent process keeps little memory whatever the file size."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ftstack.training_data.chat import check_chat_example
from ftstack.training_data.context import CheckContext, CheckSettings, ExampleTally
from ftstack.training_data.dpo import check_dpo_example
from ftstack.training_data.duplicates import DigestBuckets, example_digest
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_type_name

BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n\f\v"


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every line; NaN and Infinity are Python extensions that JSON does not allow.
JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

_scan_once, _decode = JSON_DECODER.scan_once, JSON_DECODER.decode  # type: ignore[attr-defined]


def parse_line(text: str) -> object:
    """The JSON value of a line with no surrounding whitespace, as `JSON_DECODER.decode` gives it (and
    with its errors): the C scanner is called directly, and `decode` only when the scanner stops short."""
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError):
        return _decode(text)  # raises the json module's own error for the line
    return value if end == len(text) else _decode(text)


LocalFinding = tuple[int, str, str]  # (line within the chunk, code, message)
Histogram = dict[int, int]  # value -> how many valid examples have it


@dataclass
class ChunkResult:
    """What one chunk holds: its lines, findings with chunk-local line numbers (the first `cap` of
    each code, every one counted), token totals, histograms over its valid examples, and the digests
    of the examples that are JSON objects."""

    start: int
    end: int
    lines: int = 0
    examples: int = 0
    errors: list[LocalFinding] = field(default_factory=list)
    error_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[LocalFinding] = field(default_factory=list)
    warning_counts: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    capped_tokens: int = 0  # each example's tokens capped at the model's limit: what is billed
    assistant_tokens: int = 0
    valid_examples: int = 0
    token_histogram: Histogram = field(default_factory=dict)
    assistant_histogram: Histogram = field(default_factory=dict)
    message_histogram: Histogram = field(default_factory=dict)
    digests: DigestBuckets = field(default_factory=DigestBuckets)
    over_limit: int = 0
    max_example: int = 0
    max_example_line: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    missing_system: int = 0
    first_missing_system_line: int | None = None
    missing_user: int = 0
    first_missing_user_line: int | None = None
    image_examples: int = 0
    has_bom: bool = False

    def error(self, line: int, code: str, message: str, cap: int) -> None:
        """Record an error (kept while its code is under the cap, always counted)."""
        seen = self.error_counts[code] = self.error_counts.get(code, 0) + 1
        if seen <= cap:
            self.errors.append((line, code, message))

    def warning(self, line: int, code: str, message: str, cap: int) -> None:
        """Record a warning (kept while its code is under the cap, always counted)."""
        seen = self.warning_counts[code] = self.warning_counts.get(code, 0) + 1
        if seen <= cap:
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
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip(_WHITESPACE)
        if not stripped:
            result.warning(number, Code.BLANK_LINE, "blank line; the service may reject it, remove it", cap)
            continue
        result.examples += 1
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"byte {exc.start + 1} of the line is not UTF-8 ({exc.reason})"
            result.error(number, Code.INVALID_UTF8, message, cap)
            continue
        try:
            example = parse_line(text)
        except ValueError as exc:
            result.error(number, Code.INVALID_JSON, f"not valid JSON: {exc}", cap)
            continue
        except RecursionError:
            result.error(number, Code.INVALID_JSON, "JSON nested too deeply", cap)
            continue
        if not isinstance(example, dict):
            result.error(
                number,
                Code.NOT_AN_OBJECT,
                f"the line is {json_type_name(example)}; each line must be one JSON object",
                cap,
            )
            continue
        try:
            # duplicates are looked for among JSON objects only: a repeated broken line is already an error
            result.digests.add(example_digest(example), number)
            tally = check(example, ctx)
        except RecursionError:
            tally = ExampleTally()
            tally.error(Code.INVALID_CONTENT, "the example is nested too deeply")
        # a \ud800-\udfff escape is the only way a decoded line can hold a lone surrogate: look only then
        if (b"\\ud" in stripped or b"\\uD" in stripped) and (surrogate := _lone_surrogate(example)):
            tally.error(
                Code.LONE_SURROGATE,
                f"the line has the escape {surrogate}, half of a UTF-16 pair with no other half; it is not "
                "valid Unicode: write the character itself or both halves of its pair",
            )
        _record(result, number, tally, settings)
    return result


def _lone_surrogate(example: dict[str, object]) -> str | None:
    # the parsed strings, keys included, as one text: a lone surrogate cannot be encoded as UTF-8
    decoded = json.dumps(example, ensure_ascii=False)
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"\\u{ord(decoded[exc.start]):04x}"
    return None


def _record(result: ChunkResult, number: int, tally: ExampleTally, settings: CheckSettings) -> None:
    limit, cap = settings.example_token_limit, settings.finding_cap
    if tally.errors:
        for code, message in tally.errors:
            result.error(number, code, message, cap)
    if tally.warnings:
        for code, message in tally.warnings:
            result.warning(number, code, message, cap)
    max_images = settings.rules.max_images_per_example
    if tally.images > max_images:
        message = f"the example has {tally.images} images; at most {max_images} per example"
        result.error(number, Code.TOO_MANY_IMAGES, message, cap)
    too_long = tally.limit_tokens > limit
    if too_long:
        result.over_limit += 1
        result.error(
            number,
            Code.EXAMPLE_TOO_LONG,
            f"the example has {tally.limit_tokens:,} tokens; this model takes at most {limit:,} per example",
            cap,
        )
    if tally.tokens > result.max_example:
        result.max_example, result.max_example_line = tally.tokens, number
    result.tokens += tally.tokens
    result.capped_tokens += min(tally.tokens, limit)
    result.assistant_tokens += tally.assistant_tokens
    for role, count in tally.roles.items():
        result.roles[role] = result.roles.get(role, 0) + count
    if tally.images:
        result.image_examples += 1
    if tally.errors or too_long or tally.images > max_images:
        return
    # from here on: a valid example
    result.valid_examples += 1
    histogram = result.token_histogram  # inlined: this runs once per example
    histogram[tally.tokens] = histogram.get(tally.tokens, 0) + 1
    histogram = result.assistant_histogram
    histogram[tally.assistant_tokens] = histogram.get(tally.assistant_tokens, 0) + 1
    histogram = result.message_histogram
    histogram[tally.messages] = histogram.get(tally.messages, 0) + 1
    if tally.missing_system:
        result.missing_system += 1
        if result.first_missing_system_line is None:
            result.first_missing_system_line = number
    if tally.missing_user:
        result.missing_user += 1
        if result.first_missing_user_line is None:
            result.first_missing_user_line = number
