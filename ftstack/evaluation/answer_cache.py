"""The answer cache: one JSON line per (deployment, example, request parameters) in the output folder, so a
rerun sends only the requests whose answers are missing."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from ftstack.evaluation.chat_client import Answer, RequestParams

CACHE_FILE = "answers.jsonl"


@dataclass(frozen=True)
class CachedAnswer:
    """An answer as stored: which request it answers, and the answer itself."""

    key: str
    deployment: str
    example: str
    answer: Answer


def cache_key(deployment: str, example_key: str, params: RequestParams) -> str:
    """The key of one request: deployment, example content hash and sampling parameters."""
    canonical = json.dumps(
        {"deployment": deployment, "example": example_key, "params": params.to_json()}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class AnswerCache:
    """Answers already paid for, loaded from and appended to `<folder>/answers.jsonl`; thread-safe."""

    def __init__(self, folder: Path):
        self.path = folder / CACHE_FILE
        self._lock = threading.Lock()
        self._answers: dict[str, CachedAnswer] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            # Close a line an interrupted run cut short, so the next append starts on a line of its own.
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n")
        for raw in text.splitlines():
            try:
                record = json.loads(raw)
                entry = CachedAnswer(
                    key=record["key"],
                    deployment=record["deployment"],
                    example=record["example"],
                    answer=Answer(**record["answer"]),
                )
            except (json.JSONDecodeError, KeyError, TypeError):
                # A line cut short by an interrupted run: its request is simply sent again.
                continue
            self._answers[entry.key] = entry

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
