"""Training-data validation off the event loop, cached by content hash, model row and method.

A large file takes seconds to validate; on the event loop that would stall every other request (and
clients would time out into the ambiguous failures the provider must then untangle). Validation runs in
a small thread pool (the validator itself fans large files out to worker processes). An upload is
validated once, for the most lenient row of its kind of data; a job create reuses that verdict when it
also holds for the job's model (the same tokenizer, every example within the model's limit, no image a
text-only model refuses), which is most models, and otherwise validates for its row once per
(sha256, base model, method), so a retried create validates nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from ftstack.catalog import ModelRow
from ftstack.catalog.matrix import Method
from ftstack.emulator import training_files
from ftstack.emulator.training_files import Verdict

WORKERS = 2
CACHE_ENTRIES = 512
_COPY_CHUNK = 1 << 20

T = TypeVar("T")
# (outcome, details): how a file's processing ends ("processed", or "error" with the summary).
Outcome = tuple[str, str | None]


def store_content(source: BinaryIO, target: Path) -> tuple[int, str]:
    """Copy an upload into its blob in chunks; returns (bytes, sha256). Run it in a worker thread."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(_COPY_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def content_sha256(path: Path) -> str:
    """The sha256 of a stored blob, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def upload_outcome(path: Path, purpose: str) -> Outcome:
    """How processing an upload ends: fine-tune data is validated against the most lenient row for its
    kind of data (the base model is not known until a job names it)."""
    return _upload_check(path, purpose)[0]


@dataclass(frozen=True)
class _UploadCheck:
    """The verdict an upload's processing reached, and the row and method it was reached for."""

    row: ModelRow
    method: Method
    verdict: Verdict

    def answers_for(self, row: ModelRow, method: Method) -> Verdict | None:
        """This verdict when it is also `row`'s: valid data tokenized the same way, no example over `row`'s
        limit, no image a text-only row would refuse, the same method (and one `row` offers); else None."""
        fits = (
            self.verdict.valid
            and method == self.method
            and method in row.methods
            and row.encoding == self.row.encoding
            and self.verdict.max_example_tokens <= row.example_token_limit
            and (row.vision or not self.verdict.images)
        )
        return self.verdict if fits else None


def _upload_check(path: Path, purpose: str) -> tuple[Outcome, _UploadCheck | None]:
    if purpose != "fine-tune":
        return ("processed", None), None
    method = training_files.detect_method(path)
    row = training_files.lenient_row(method, training_files.has_images(path))
    verdict = training_files.validate(path, row, method)
    check = _UploadCheck(row, method, verdict)
    if verdict.valid:
        return ("processed", None), check
    return ("error", f"Training file validation failed: {verdict.summary}"), check


class Validations:
    """Verdicts computed in worker threads, shared by every request that asks for the same content."""

    def __init__(self, workers: int = WORKERS, entries: int = CACHE_ENTRIES) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftstack-emulator-validate")
        self._entries = entries
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, ...], Future[object]] = OrderedDict()
        # What each upload's processing found, by sha256: a job create for a model it also answers for
        # (most of them) validates nothing again.
        self._uploads: OrderedDict[str, _UploadCheck] = OrderedDict()

    def _cached(self, key: tuple[str, ...], work: Callable[[], T]) -> Future[T]:
        with self._lock:
            found = self._cache.get(key)
            if found is not None and not (found.done() and found.exception() is not None):
                self._cache.move_to_end(key)
                return found  # type: ignore[return-value]
            future: Future[T] = self._pool.submit(work)
            self._cache[key] = future  # type: ignore[assignment]
            while len(self._cache) > self._entries:
                oldest = next(iter(self._cache))
                if not self._cache[oldest].done():
                    break
                del self._cache[oldest]
            return future

    def upload(self, path: Path, sha256: str, purpose: str) -> Future[Outcome]:
        """The processing outcome of an upload, decided in a worker thread."""

        def work() -> Outcome:
            outcome, check = _upload_check(path, purpose)
            if check is not None:
                with self._lock:
                    self._uploads[sha256] = check
                    self._uploads.move_to_end(sha256)
                    while len(self._uploads) > self._entries:
                        self._uploads.popitem(last=False)
            return outcome

        return self._cached(("upload", sha256, purpose), work)

    def verdict(self, path: Path, sha256: str, row: ModelRow, method: Method) -> Future[Verdict]:
        """The verdict of `path` for a base model and method: the upload's when it answers for this row
        too, else decided in a worker thread."""
        with self._lock:
            check = self._uploads.get(sha256)
        reused = check.answers_for(row, method) if check is not None else None
        if reused is not None:
            done: Future[Verdict] = Future()
            done.set_result(reused)
            return done
        return self._cached(
            ("job", sha256, row.azure_base_model, method), lambda: training_files.validate(path, row, method)
        )


# One pool and cache per process: verdicts depend only on content, so every emulated account shares them.
VALIDATIONS = Validations()
