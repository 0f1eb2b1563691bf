"""Deterministic, nested training-data subsets: the same seed gives the same subsets, each smaller one
contained in every larger one."""

from __future__ import annotations

import hashlib
import random
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


def write_subset(source: Path, size: int, seed: int, out_dir: Path) -> Path:
    """Write the `size` subset of `source` into `out_dir` (content-addressed name) and return its path.

    The name carries the source's digest, the size and the seed, so an unchanged request reuses the file.
    """
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:12]
    target = out_dir / f"{source.stem}-{digest}-n{size}-s{seed}.jsonl"
    if target.is_file():
        return target
    lines = [line for line in data.removeprefix(BOM).splitlines(keepends=True) if line.strip()]
    chosen = subset_indices(len(lines), size, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    body = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in (lines[i] for i in chosen))
    partial = target.with_suffix(".tmp")
    partial.write_bytes(BOM + body)
    partial.replace(target)  # atomic: a reader never sees half a subset
    return target
