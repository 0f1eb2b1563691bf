"""Finding repeated examples: an 8-byte digest of each example's canonical JSON (sorted keys, no
spaces), kept in compact arrays split by the digest's top bits, so that finding repeats sorts one small
bucket at a time (about 12 bytes per example in all, instead of a list of Python ints for the whole
file). The canonical JSON is orjson's where it is exact and the json module's elsewhere."""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

import orjson

from ftstack.training_data.findings import Code, Finding

_orjson_dumps, _SORT_KEYS = orjson.dumps, orjson.OPT_SORT_KEYS
_blake2b = hashlib.blake2b
_INFINITIES = (float("inf"), float("-inf"))

BUCKET_BITS = 4
BUCKETS = 1 << BUCKET_BITS

# Canonical JSON: keys sorted, no spaces, non-ASCII escaped, so that a copy that differs only in
# formatting (spacing, key order, escapes) has the same digest. The C encoder is made once (the
# json module makes one per call): parsed JSON has no cycles to guard against, nor values to convert.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
_C_CANONICAL = (
    c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)


def canonical_json(example: object) -> str:
    """An example as canonical JSON text."""
    if _C_CANONICAL is not None:
        return "".join(_C_CANONICAL(example, 0))
    return _CANONICAL.encode(example)


def canonical_bytes(example: object) -> bytes:
    """An example as canonical JSON bytes, made by orjson (several times faster) where its output is
    exact, else by the json module: orjson refuses lone surrogates and integers past 64 bits, and
    writes an infinity (what `1e999` parses to) as null. The choice depends on the value alone, so
    equal examples always get the same bytes."""
    try:
        text = _orjson_dumps(example, option=_SORT_KEYS)
    except TypeError:
        return canonical_json(example).encode()
    if b"null" in text and _has_infinity(example):
        return canonical_json(example).encode()
    return text


def _has_infinity(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        elif kind is float and item in _INFINITIES:
            return True
    return False


def example_digest(example: object) -> int:
    """The 64-bit digest of an example's canonical JSON."""
    return int.from_bytes(_blake2b(canonical_bytes(example), digest_size=8).digest(), "little")


def _bucket_arrays(typecode: str) -> list[array[int]]:
    return [array(typecode) for _ in range(BUCKETS)]


@dataclass
class DigestBuckets:
    """Digests of examples and their line numbers, in file order within each bucket."""

    digests: list[array[int]] = field(default_factory=lambda: _bucket_arrays("Q"))
    lines: list[array[int]] = field(default_factory=lambda: _bucket_arrays("I"))

    def add(self, digest: int, line: int) -> None:
        """Record one example's digest at `line`."""
        bucket = digest >> (64 - BUCKET_BITS)
        self.digests[bucket].append(digest)
        self.lines[bucket].append(line)

    def extend(self, other: DigestBuckets, line_offset: int) -> None:
        """Append `other`'s digests (a later chunk of the file), its lines moved by `line_offset`."""
        for bucket in range(BUCKETS):
            self.digests[bucket].extend(other.digests[bucket])
            lines = other.lines[bucket]
            self.lines[bucket].extend(map(line_offset.__add__, lines) if line_offset else lines)


def find_duplicates(buckets: DigestBuckets, cap: int) -> tuple[int, list[Finding]]:
    """How many examples repeat an earlier one, and the first `cap` of them in line order, each naming
    the line of the first copy."""
    total = 0
    shown: list[Finding] = []
    for digests, lines in zip(buckets.digests, buckets.lines, strict=True):
        ordered = sorted(digests)  # one bucket's list at a time keeps the peak small
        repeated = {a for a, b in pairwise(ordered) if a == b}
        del ordered
        if not repeated:
            continue
        first: dict[int, int] = {}
        kept = 0
        for digest, line in zip(digests, lines, strict=True):
            if digest not in repeated:
                continue
            if digest in first:
                total += 1
                if kept < cap:  # within a bucket lines ascend: its first `cap` are all that can be shown
                    shown.append(
                        Finding(line, Code.DUPLICATE_EXAMPLE, f"same example as line {first[digest]}")
                    )
                    kept += 1
            else:
                first[digest] = line
    shown.sort(key=lambda f: f.line or 0)
    return total, shown[:cap]
