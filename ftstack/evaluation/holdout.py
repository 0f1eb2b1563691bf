"""Holdout examples: each chat line's conversation without its last assistant turn, and that turn as reference."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class HoldoutError(ValueError):
    """The holdout file cannot be evaluated; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class HoldoutExample:
    """One example: its line, the prompt messages sent to each deployment, the reference answer."""

    line: int
    prompt: tuple[Message, ...]
    reference: str

    @property
    def key(self) -> str:
        """A content hash of the prompt and reference: the cache key part that names this example."""
        canonical = json.dumps(
            {"prompt": list(self.prompt), "reference": self.reference}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


def message_text(content: object) -> str | None:
    """The text of a message's content: a string, or the text parts of a content list joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"
        ]
        if texts and all(isinstance(t, str) for t in texts):
            return "".join(str(t) for t in texts)
    return None


def _example(line: int, record: object, path: Path) -> HoldoutExample | str:
    """The example on `line`, or the one-line problem that stops it from being one."""
    where = f"{path}:{line}"
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        return f'{where}: expected a chat example {{"messages": [...]}}'
    messages = record["messages"]
    if len(messages) < 2 or not all(isinstance(m, dict) for m in messages):
        return f"{where}: a holdout example needs at least one prompt message and a final assistant answer"
    last = messages[-1]
    if last.get("role") != "assistant":
        return f"{where}: the last message must be the assistant's reference answer (got role {last.get('role')!r})"
    reference = message_text(last.get("content"))
    if reference is None:
        return f"{where}: the last assistant message has no text content to compare answers with"
    prompt = tuple({k: v for k, v in m.items() if k != "weight"} for m in messages[:-1])
    return HoldoutExample(line=line, prompt=prompt, reference=reference)


def load_holdout(path: Path) -> list[HoldoutExample]:
    """Every example in the chat JSONL file `path` (UTF-8, BOM allowed); raises HoldoutError listing all problems."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HoldoutError([f"{path}: no such file; pass a chat JSONL holdout file with --data"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise HoldoutError([f"{path}: cannot be read as UTF-8 text ({error})"]) from None
    examples: list[HoldoutExample] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            problems.append(f"{path}:{number}: not valid JSON ({error.msg})")
            continue
        outcome = _example(number, record, path)
        if isinstance(outcome, str):
            problems.append(outcome)
        else:
            examples.append(outcome)
    if not examples and not problems:
        problems.append(f"{path}: holds no examples; a holdout file needs at least one chat example")
    if problems:
        raise HoldoutError(problems)
    return examples
