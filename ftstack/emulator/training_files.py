"""What the emulator reads from training files: the validation verdict (through the project's
training-data validator), the examples' prompts and answers, their size, and whether they hold images."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.catalog import ModelRow, load_matrix
from ftstack.catalog.matrix import Method
from ftstack.training_data import validate_file


@dataclass(frozen=True)
class Verdict:
    """Whether a file is fit for training, the validation summary when it is not, its size, and whether
    any example sends an image."""

    valid: bool
    summary: str
    examples: int
    tokens: int
    images: bool = False
    # The tokens of the longest example.
    max_example_tokens: int = 0


@dataclass(frozen=True)
class Example:
    """One training example reduced to what chat answers need: its last user turn and the answer."""

    prompt: str
    answer: str


def validate(path: Path, row: ModelRow, method: Method) -> Verdict:
    """The project's training-data validation of `path` for `row` and `method`."""
    report = validate_file(path, row, method)
    return Verdict(
        report.valid,
        "" if report.valid else report.summary(),
        report.examples,
        report.tokens.total,
        has_images(path),
        report.tokens.max_example,
    )


def lenient_row(method: Method, vision: bool) -> ModelRow:
    """The row to validate against before the base model is known: the largest example limit among the
    rows that support `method` (and images, when the data has them)."""
    rows = load_matrix().rows
    fit = [r for r in rows if method in r.methods and (r.vision or not vision)] or rows
    return max(fit, key=lambda r: r.example_token_limit)


def _lines(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            out.append(parsed)
    return out


def detect_method(path: Path) -> Method:
    """`dpo` when the file holds preference pairs, else `supervised` (decided by its first example)."""
    first: dict[str, Any] = {}
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    parsed = json.loads(raw.decode("utf-8-sig", errors="replace"))
                except json.JSONDecodeError:
                    parsed = {}
                first = parsed if isinstance(parsed, dict) else {}
                break
    return "dpo" if "preferred_output" in first or "input" in first else "supervised"


_IMAGE_PART = b'"image_url"'
_SCAN_CHUNK = 1 << 20


def has_images(path: Path) -> bool:
    """True when any example sends an image part (read in chunks: one large read would hold the GIL)."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            if _IMAGE_PART in tail + chunk[: len(_IMAGE_PART)] or _IMAGE_PART in chunk:
                return True
            tail = chunk[-len(_IMAGE_PART) :]
    return False


def content_text(content: object) -> str:
    """The text of a message's content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _messages(line: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if "preferred_output" in line:
        return list(line.get("input", {}).get("messages", [])), list(line.get("preferred_output", []))
    messages = list(line.get("messages", []))
    last_assistant = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    if last_assistant < 0:
        return messages, []
    return messages[:last_assistant], [messages[last_assistant]]


def examples(path: Path) -> list[Example]:
    """Each example's last user turn and its (preferred) assistant answer."""
    out: list[Example] = []
    for line in _lines(path):
        prompt_messages, answer_messages = _messages(line)
        users = [content_text(m.get("content")) for m in prompt_messages if m.get("role") == "user"]
        answers = [content_text(m.get("content")) for m in answer_messages if m.get("role") == "assistant"]
        if users and answers:
            out.append(Example(prompt=users[-1], answer=answers[-1]))
    return out
