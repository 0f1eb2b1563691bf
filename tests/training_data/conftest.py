"""Fixtures of the training-data tests: a writer of small JSONL files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from training_files import BOM, Writer


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Writer:
    """Write lines (dicts become JSON, strings and bytes stay as they are) to a JSONL file, with a BOM."""

    def write(lines: list[Any], name: str = "train.jsonl", bom: bool = True) -> Path:
        out = bytearray(BOM.encode() if bom else b"")
        for line in lines:
            if isinstance(line, bytes):
                out += line
            elif isinstance(line, str):
                out += line.encode()
            else:
                out += json.dumps(line).encode()
            out += b"\n"
        path = tmp_path / name
        path.write_bytes(bytes(out))
        return path

    return write
