"""Deterministic train/validation split of a JSONL file: duplicates removed (compared as parsed JSON,
as `validate` compares them), stratified by length bucket, each example in exactly one half, original
bytes and order kept; refused when either half would be empty."""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from ftstack.training_data.chunk import BOM, JSON_DECODER
from ftstack.training_data.duplicates import example_digest
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.json_names import json_type_name

_BUCKETS = 10  # length deciles
_READ = 1024 * 1024


class SplitRefusedError(ValueError):
    """The split would leave the train or the validation file empty; the message says what would work."""


@dataclass
class SplitResult:
    """What a split wrote (or, with errors, why it wrote nothing)."""

    train_path: Path
    validation_path: Path
    train: int = 0
    validation: int = 0
    duplicates_removed: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The split as JSON."""
        return {
            "train": {"path": str(self.train_path), "examples": self.train},
            "validation": {"path": str(self.validation_path), "examples": self.validation},
            "duplicates_removed": self.duplicates_removed,
            "duplicate_lines": self.duplicate_lines[:100],
            "errors": [f.to_json() for f in self.errors],
        }


@dataclass
class _Index:
    lines: array[int] = field(default_factory=lambda: array("Q"))
    offsets: array[int] = field(default_factory=lambda: array("Q"))
    lengths: array[int] = field(default_factory=lambda: array("Q"))
    hashes: array[int] = field(default_factory=lambda: array("Q"))
    has_bom: bool = False


def _parse_object(line: bytes) -> dict[str, object] | tuple[str, str]:
    # the parsed object, or (code, message) when the line is not one
    try:
        value = JSON_DECODER.decode(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Code.INVALID_UTF8, f"not UTF-8: {exc.reason}"
    except (ValueError, RecursionError) as exc:
        return Code.INVALID_JSON, f"not valid JSON: {exc}"
    if not isinstance(value, dict):
        return (
            Code.NOT_AN_OBJECT,
            f"the line is {json_type_name(value)}; each line must be one JSON object",
        )
    return value


def _index(path: Path, errors: list[Finding], cap: int = 100) -> _Index:
    index = _Index()
    with path.open("rb") as handle:
        offset = 0
        first = handle.readline()
        if first.startswith(BOM):
            index.has_bom = True
            offset = len(BOM)
            first = first[len(BOM) :]
        number = 0
        line = first
        while line:
            number += 1
            stripped = line.strip()
            if stripped:
                parsed = _parse_object(stripped)
                if isinstance(parsed, tuple):
                    if len(errors) < cap:
                        errors.append(Finding(number, *parsed))
                    digest = 0
                else:
                    digest = example_digest(parsed)
                index.lines.append(number)
                index.offsets.append(offset)
                index.lengths.append(len(line))
                index.hashes.append(digest)
            offset += len(line)
            line = handle.readline()
    return index


def _kept(index: _Index, result: SplitResult) -> bytearray:
    # 1 for the first occurrence of each example, 0 for later repeats
    keep = bytearray(b"\x01") * len(index.hashes)
    ordered = sorted(index.hashes)
    repeated = {a for a, b in pairwise(ordered) if a == b}
    del ordered
    seen: set[int] = set()
    for i, digest in enumerate(index.hashes):
        if digest in repeated:
            if digest in seen:
                keep[i] = 0
                result.duplicates_removed += 1
                result.duplicate_lines.append(index.lines[i])
            seen.add(digest)
    return keep


def validation_size(examples: int, fraction: float) -> int:
    """How many of `examples` go to the validation file; SplitRefusedError when a side would be empty."""
    size = round(fraction * examples)
    if 0 < size < examples:
        return size
    side = "validation" if size == 0 else "train"
    bound = 2 * math.ceil(1 / min(fraction, 1 - fraction)) + 2
    smallest = next(n for n in range(2, bound) if 0 < round(fraction * n) < n)
    raise SplitRefusedError(
        f"{examples:,} unique example{'s' if examples != 1 else ''} at --validation {fraction:g} would leave the "
        f"{side} file empty; give at least {smallest:,} examples or a "
        f"{'larger' if side == 'validation' else 'smaller'} --validation"
    )


def _choose_validation(index: _Index, keep: bytearray, fraction: float, seed: int) -> bytearray:
    kept = [i for i in range(len(keep)) if keep[i]]
    lengths = sorted(index.lengths[i] for i in kept)
    # bucket edges at the length deciles, so each bucket holds about a tenth of the examples
    edges = sorted({lengths[len(lengths) * k // _BUCKETS] for k in range(1, _BUCKETS)}) if lengths else []
    buckets: dict[int, list[int]] = {}
    for i in kept:
        buckets.setdefault(bisect_right(edges, index.lengths[i]), []).append(i)
    total = validation_size(len(kept), fraction)
    quotas = {b: fraction * len(members) for b, members in buckets.items()}
    counts = {b: int(q) for b, q in quotas.items()}
    # largest remainders get the examples the floors left over, ties to the lower bucket
    for b in sorted(quotas, key=lambda b: (-(quotas[b] - counts[b]), b))[: total - sum(counts.values())]:
        counts[b] += 1
    rng = random.Random(seed)
    chosen = bytearray(len(keep))
    for b in sorted(buckets):
        members = buckets[b]
        for i in rng.sample(members, counts[b]):
            chosen[i] = 1
    return chosen


def split_file(
    path: Path,
    validation_fraction: float,
    seed: int,
    train_path: Path,
    validation_path: Path,
) -> SplitResult:
    """Split `path` into train and validation files; lines that are not JSON objects are errors and
    nothing is written then; SplitRefusedError (nothing written) when a side would be empty."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation fraction {validation_fraction} must be between 0 and 1 (exclusive)")
    result = SplitResult(train_path, validation_path)
    index = _index(path, result.errors)
    if result.errors:
        return result
    keep = _kept(index, result)
    chosen = _choose_validation(index, keep, validation_fraction, seed)
    with path.open("rb") as source, train_path.open("wb") as train, validation_path.open("wb") as validation:
        if index.has_bom:
            train.write(BOM)
            validation.write(BOM)
        for i, offset in enumerate(index.offsets):
            if not keep[i]:
                continue
            source.seek(offset)
            line = source.read(index.lengths[i])
            if not line.endswith(b"\n"):
                line += b"\n"
            if chosen[i]:
                validation.write(line)
                result.validation += 1
            else:
                train.write(line)
                result.train += 1
    return result
