"""Whether a JSONL training or validation file holds images: vision is read from the data, not only a flag.

A file holds images when any example has a content part of type `image_url` (chat and DPO examples alike).
Only lines that mention `image_url` are parsed, so a large text-only file is read once, quickly.
"""

from __future__ import annotations

import json
import stat as stat_mode
from functools import cache
from pathlib import Path

IMAGE_PART_TYPE = "image_url"


def has_image_content(path: Path) -> bool:
    """True when the JSONL file at `path` has at least one image content part; False when it has none or
    cannot be read (the file's own validation reports that)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if not stat_mode.S_ISREG(stat.st_mode):  # a FIFO or /dev/zero would block or never end
        return False
    return _scan(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _scan(path: Path, _mtime_ns: int, _size: int) -> bool:
    """The scan of one version of a file (the key holds its mtime and size, so an edit is seen)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            return any(IMAGE_PART_TYPE in line and _holds_image(_json(line)) for line in lines)
    except (OSError, RecursionError):
        return False


def _json(line: str) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # deeply nested JSON: the file's own validation reports that line
        return None


def _holds_image(value: object) -> bool:
    if isinstance(value, dict):
        if value.get("type") == IMAGE_PART_TYPE:
            return True
        return any(_holds_image(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_image(v) for v in value)
    return False
