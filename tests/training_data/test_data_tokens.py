"""Token counts are exact and offline: shipped encodings, or a user's cache folder, never the network."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ftstack.training_data import auto_epochs, count_tokens, get_encoding
from ftstack.training_data.tokenizer import _candidate_files


@pytest.mark.parametrize(
    ("text", "encoding", "ids"),
    [
        ("hello world", "cl100k_base", [15339, 1917]),
        ("hello world", "o200k_base", [24912, 2375]),
        ("tiktoken is great!", "cl100k_base", [83, 1609, 5963, 374, 2294, 0]),
    ],
)
def test_known_strings_encode_to_the_published_token_ids(text: str, encoding: str, ids: list[int]) -> None:
    assert get_encoding(encoding).encode(text) == ids
    assert count_tokens(text, encoding) == len(ids)


def test_special_token_text_counts_as_plain_text_instead_of_failing() -> None:
    assert count_tokens("<|endoftext|>", "cl100k_base") == 7


def test_the_two_encodings_count_differently() -> None:
    text = "Grüße aus Zürich: 数据模型 fine-tuning"
    assert count_tokens(text, "o200k_base") != count_tokens(text, "cl100k_base")


def test_encodings_load_without_network_or_cache_folder(tmp_path: Path) -> None:
    empty_cache = tmp_path / "cache"
    empty_cache.mkdir()
    program = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from ftstack.training_data import count_tokens
        print(count_tokens("hello world", "o200k_base"), count_tokens("hello world", "cl100k_base"))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "TIKTOKEN_CACHE_DIR": str(empty_cache), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "2"]
    assert list(empty_cache.iterdir()) == []  # nothing downloaded or copied into it


def test_a_configured_cache_folder_is_searched_first_and_a_bad_file_there_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "o200k_base.tiktoken").write_bytes(b"not a rank file\n")
    monkeypatch.setenv("FTSTACK_TIKTOKEN_CACHE", str(tmp_path))
    program = (
        "from ftstack.training_data import count_tokens; print(count_tokens('hello world', 'o200k_base'))"
    )

    files = _candidate_files("o200k_base", "https://example.invalid/o200k_base.tiktoken")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)

    assert files[0] == tmp_path / "o200k_base.tiktoken"
    assert files[-1].name == "o200k_base.tiktoken" and files[-1].parent.name == "encodings"
    assert done.stdout.strip() == "2", done.stderr


def test_the_encodings_ship_inside_the_package() -> None:
    shipped = Path(__file__).parents[2] / "ftstack" / "training_data" / "encodings"
    assert sorted(p.name for p in shipped.iterdir()) == ["cl100k_base.tiktoken", "o200k_base.tiktoken"]


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),
        (5, 20),
        (10, 10),
        (33, 3),
        (34, 3),
        (36, 3),
        (8_333, 3),
        (8_334, 2),
        (20_000, 1),
        (100_000, 1),
    ],
)
def test_auto_epochs_follow_the_cookbook_heuristic(examples: int, epochs: int) -> None:
    assert auto_epochs(examples) == epochs
