"""The answer cache: one JSON line per (endpoint, deployment, question, request parameters) in the output
folder, so a rerun sends only the requests whose answers are missing.

The endpoint is part of the key: the same `--out` folder reused against another endpoint (another account,
the emulator, a new candidate behind the same deployment name elsewhere) asks again instead of scoring
the old endpoint's answers, which would let `--gate` pass without the candidate ever being called.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ftstack.evaluation.chat_client import Answer, RequestParams

CACHE_FILE = "answers.jsonl"
# Lines that could not be read go here (kept, not deleted: they may help to see what cut a run short).
DAMAGED_SUFFIX = ".damaged"
# How many damaged line numbers a warning lists.
SHOWN_LINES = 5


@dataclass(frozen=True)
class CachedAnswer:
    """An answer as stored: which request it answers, and the answer itself."""

    key: str
    deployment: str
    example: str
    answer: Answer


def endpoint_identity(endpoint: str) -> str:
    """The endpoint as the cache compares it: scheme and host in lower case, no trailing slash."""
    parts = urlsplit(endpoint.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def cache_key(endpoint: str, deployment: str, example_key: str, params: RequestParams) -> str:
    """The key of one request: endpoint, deployment, the question's content hash and sampling parameters."""
    canonical = json.dumps(
        {
            "endpoint": endpoint_identity(endpoint),
            "deployment": deployment,
            "example": example_key,
            "params": params.to_json(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class DamagedLineError(ValueError):
    """A cache line that is not a well-formed answer record."""


def parse_line(raw: bytes) -> CachedAnswer:
    """One cache line as a CachedAnswer; DamagedLineError when it is cut short, not UTF-8 or mistyped."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DamagedLineError("not a JSON line") from None
    if not isinstance(record, dict) or not isinstance(record.get("answer"), dict):
        raise DamagedLineError("not an answer record")
    answer = record["answer"]
    texts = (record.get("key"), record.get("deployment"), record.get("example"), answer.get("text"))
    if not all(isinstance(value, str) for value in texts):
        raise DamagedLineError("a text field is missing or not text")
    latency = answer.get("latency_seconds")
    if isinstance(latency, bool) or not isinstance(latency, int | float) or not math.isfinite(latency):
        raise DamagedLineError("latency_seconds is not a number")
    tokens = (answer.get("prompt_tokens"), answer.get("completion_tokens"))
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in tokens):
        raise DamagedLineError("a token count is not a whole number")
    return CachedAnswer(
        key=str(record["key"]),
        deployment=str(record["deployment"]),
        example=str(record["example"]),
        answer=Answer(
            text=str(answer["text"]),
            latency_seconds=float(latency),
            prompt_tokens=int(answer["prompt_tokens"]),
            completion_tokens=int(answer["completion_tokens"]),
        ),
    )


class AnswerCache:
    """Answers already paid for, loaded from and appended to `<folder>/answers.jsonl`; thread-safe.

    A damaged line (cut inside a character by an interrupted run, or edited into the wrong types) is
    skipped, so its question is asked again; `damaged_lines` holds the line numbers and `warning()` says so.
    """

    def __init__(self, folder: Path):
        self.path = folder / CACHE_FILE
        self._lock = threading.Lock()
        self._answers: dict[str, CachedAnswer] = {}
        self.damaged_lines: list[int] = []
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        good: list[bytes] = []
        damaged: list[bytes] = []
        for number, raw in enumerate(data.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                entry = parse_line(raw)
            except DamagedLineError:
                self.damaged_lines.append(number)
                damaged.append(raw)
                continue
            good.append(raw)
            self._answers[entry.key] = entry
        if damaged:
            self._set_aside(good, damaged)
        elif data and not data.endswith(b"\n"):
            # Close a line an interrupted run left open, so the next append starts on a line of its own.
            with self.path.open("ab") as handle:
                handle.write(b"\n")

    def _set_aside(self, good: list[bytes], damaged: list[bytes]) -> None:
        """Move damaged lines to `answers.jsonl.damaged` and rewrite the cache without them, atomically, so
        the next run neither warns again nor loses a good answer if it stops halfway."""
        with self.path.with_name(self.path.name + DAMAGED_SUFFIX).open("ab") as handle:
            handle.write(b"".join(line + b"\n" for line in damaged))
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            handle.write(b"".join(line + b"\n" for line in good))
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(self.path)

    def warning(self) -> str | None:
        """One line about the damaged lines skipped on load, or None when there were none."""
        if not self.damaged_lines:
            return None
        count = len(self.damaged_lines)
        shown = ", ".join(str(n) for n in self.damaged_lines[:SHOWN_LINES])
        more = f" and {count - SHOWN_LINES} more" if count > SHOWN_LINES else ""
        return (
            f"{self.path}: skipped {count} damaged line(s) (line {shown}{more}; set aside in "
            f"{self.path.name}{DAMAGED_SUFFIX}); their questions are asked again"
        )

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer for `key`, if any."""
        with self._lock:
            return self._answers.get(key)

    def put(self, entry: CachedAnswer) -> None:
        """Store `entry` in memory and append it to the file at once (a crash loses no paid answer)."""
        line = json.dumps(
            {
                "key": entry.key,
                "deployment": entry.deployment,
                "example": entry.example,
                "answer": asdict(entry.answer),
            },
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
            self._answers[entry.key] = entry
