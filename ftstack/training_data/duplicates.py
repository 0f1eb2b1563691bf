"""Finding repeated examples: an 8-byte digest of each example's canonical JSON, kept in compact
arrays split by the digest's top bits, so that finding repeats sorts one small bucket at a time
(about 12 bytes per example in all, instead of a list of Python ints for the whole file)."""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

from ftstack.training_data.findings import Code, Finding

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


def example_digest(example: object) -> int:
    """The 64-bit digest of an example's canonical JSON."""
    text = canonical_json(example).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


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
