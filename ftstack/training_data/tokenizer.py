"""Exact, offline token counts: tiktoken encodings built from the rank files shipped in
`encodings/` (or a user's cache folder), never downloaded."""

from __future__ import annotations

import binascii
import hashlib
import os
import threading
import types
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import tiktoken
from tiktoken_ext import openai_public  # type: ignore[import-untyped]

# A folder of rank files, named `<encoding>.tiktoken` or the way tiktoken names its cache entries
# (sha1 of the download URL); FTSTACK_TIKTOKEN_CACHE wins over tiktoken's own TIKTOKEN_CACHE_DIR.
CACHE_ENV_VARS = ("FTSTACK_TIKTOKEN_CACHE", "TIKTOKEN_CACHE_DIR")

_lock = threading.Lock()


class EncodingUnavailableError(RuntimeError):
    """No rank file with the expected content was found for an encoding, offline."""


def _candidate_files(name: str, url: str) -> list[Path]:
    files: list[Path] = []
    for var in CACHE_ENV_VARS:
        folder = os.environ.get(var)
        if folder:
            base = Path(folder).expanduser()
            files += [base / f"{name}.tiktoken", base / hashlib.sha1(url.encode()).hexdigest()]
    shipped = resources.files("ftstack.training_data").joinpath(f"encodings/{name}.tiktoken")
    files.append(Path(str(shipped)))
    return files


def _read_ranks(path: Path, expected_hash: str | None) -> dict[bytes, int] | None:
    # tiktoken's load_tiktoken_bpe would also copy the file into its download cache; read it here
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
        return None  # a stale or foreign file under the right name: try the next place
    # "<base64 token> <rank>" per line: whitespace-split fields alternate token, rank
    fields = data.split()
    if len(fields) % 2:
        return None
    try:
        return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    except (binascii.Error, ValueError):
        return None


def _offline_loader(name: str) -> Callable[..., dict[bytes, int]]:
    def load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        for path in _candidate_files(name, url):
            ranks = _read_ranks(path, expected_hash)
            if ranks is not None:
                return ranks
        places = ", ".join(str(p) for p in _candidate_files(name, url))
        raise EncodingUnavailableError(
            f"no valid rank file for the {name} encoding in {places}; "
            f"set FTSTACK_TIKTOKEN_CACHE to a folder holding {name}.tiktoken"
        )

    return load


@cache
def _encoding_cached(name: str) -> tiktoken.Encoding:
    constructor = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if constructor is None:
        known = ", ".join(sorted(openai_public.ENCODING_CONSTRUCTORS))
        raise EncodingUnavailableError(f"unknown encoding {name!r}; known encodings: {known}")
    # Run tiktoken's own constructor (pattern, special tokens, expected hash stay tiktoken's) with
    # its download step replaced by an offline loader; no global state is patched.
    offline = types.FunctionType(
        constructor.__code__,
        {**constructor.__globals__, "load_tiktoken_bpe": _offline_loader(name)},
        constructor.__name__,
        constructor.__defaults__,
        constructor.__closure__,
    )
    spec = offline()
    return tiktoken.Encoding(
        name=spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
    )


def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name` (o200k_base, cl100k_base), loaded offline once per process."""
    with _lock:
        return _encoding_cached(name)


def count_tokens(text: str, encoding: str) -> int:
    """The exact number of tokens of `text` in `encoding`; special-token text counts as plain text."""
    return len(get_encoding(encoding).encode_ordinary(text))
