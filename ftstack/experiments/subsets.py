"""Deterministic, nested training-data subsets: the same seed gives the same subsets, each smaller one
contained in every larger one."""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

BOM = b"\xef\xbb\xbf"
SUBSET_DIR = Path(".ftstack") / "subsets"


def example_lines(path: Path) -> list[int]:
    """Byte offsets of the non-blank lines (the examples) of a JSONL file."""
    offsets = []
    position = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip(BOM + b" \t\r\n"):
                offsets.append(position)
            position += len(line)
    return offsets


def count_examples(path: Path) -> int:
    """How many examples (non-blank lines) a JSONL file holds."""
    return len(example_lines(path))


def subset_indices(n_examples: int, size: int, seed: int) -> list[int]:
    """The examples of the `size` subset, in file order; nested: a prefix of one seeded permutation."""
    order = list(range(n_examples))
    random.Random(seed).shuffle(order)
    return sorted(order[:size])


@dataclass(frozen=True)
class Subset:
    """One subset file as computed in memory: where it goes and its bytes (nothing is written yet)."""

    path: Path
    content: bytes

    @cached_property
    def sha256(self) -> str:
        """The hex sha256 of the content: the subset's content address, as a job's inputs carry it."""
        return hashlib.sha256(self.content).hexdigest()

    def write(self) -> Path:
        """Write the file atomically (a reader never sees half a subset) unless it is already there."""
        if self.path.is_file() and self.path.read_bytes() == self.content:
            return self.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(self.content)
            Path(partial).replace(self.path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return self.path


def plan_subset(source: Path, size: int, seed: int, out_dir: Path) -> Subset:
    """The `size` subset of `source` for `out_dir`, in memory: its content-addressed path and its bytes.

    The name carries the source's digest, the size and the seed, so an unchanged request names the same file.
    """
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:12]
    target = out_dir / f"{source.stem}-{digest}-n{size}-s{seed}.jsonl"
    lines = [line for line in data.removeprefix(BOM).splitlines(keepends=True) if line.strip()]
    chosen = subset_indices(len(lines), size, seed)
    body = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in (lines[i] for i in chosen))
    return Subset(target, BOM + body)


def write_subset(source: Path, size: int, seed: int, out_dir: Path) -> Path:
    """Write the `size` subset of `source` into `out_dir` (see plan_subset) and return its path."""
    return plan_subset(source, size, seed, out_dir).write()
