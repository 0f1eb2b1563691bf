"""`split_file`: deterministic, stratified by length, duplicates removed, no example in both halves."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from training_files import BOM, Writer, chat_example

from ftstack.training_data.split import split_file


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().removeprefix(BOM.encode()).splitlines()


def _varied(n: int) -> list[Any]:
    # lengths spread over a wide range so that length buckets matter
    out = []
    for i in range(n):
        example = chat_example(i)
        example["messages"][2]["content"] += " more" * (i % 50) * 10
        out.append(example)
    return out


def _split(
    path: Path, tmp_path: Path, seed: int, fraction: float = 0.1, tag: str = "a"
) -> tuple[Any, list, list]:
    result = split_file(path, fraction, seed, tmp_path / f"{tag}.train.jsonl", tmp_path / f"{tag}.val.jsonl")
    return result, _lines(result.train_path), _lines(result.validation_path)


def test_split_keeps_every_unique_example_exactly_once(write_jsonl: Writer, tmp_path: Path) -> None:
    examples = _varied(200)
    path = write_jsonl([*examples, examples[3], examples[3], examples[17]])

    result, train, validation = _split(path, tmp_path, seed=1)

    assert result.duplicates_removed == 3
    assert result.duplicate_lines == [201, 202, 203]
    assert not set(train) & set(validation)
    assert Counter(train + validation) == Counter(_lines(path)[:200])
    assert (result.train, result.validation) == (180, 20)


def test_the_same_seed_gives_the_same_split_and_another_seed_another(
    write_jsonl: Writer, tmp_path: Path
) -> None:
    path = write_jsonl(_varied(200))

    _, train_a, val_a = _split(path, tmp_path, seed=7, tag="a")
    _, train_b, val_b = _split(path, tmp_path, seed=7, tag="b")
    _, _, val_c = _split(path, tmp_path, seed=8, tag="c")

    assert (train_a, val_a) == (train_b, val_b)
    assert val_c != val_a


def test_the_split_is_stratified_by_length(write_jsonl: Writer, tmp_path: Path) -> None:
    examples = [chat_example(i) for i in range(100)] + [
        {
            **chat_example(i),
            "messages": [
                *chat_example(i)["messages"][:2],
                {"role": "assistant", "content": "long " * 400 + str(i)},
            ],
        }
        for i in range(100, 200)
    ]
    path = write_jsonl(examples)

    for seed in range(5):
        _, _, validation = _split(path, tmp_path, seed=seed, fraction=0.2, tag=str(seed))
        long = sum(len(line) > 1000 for line in validation)
        assert long == 20  # exactly half of the 40 validation examples, whatever the seed


def test_original_order_and_bom_are_kept(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl(_varied(50))
    original = _lines(path)

    result, train, validation = _split(path, tmp_path, seed=3, fraction=0.3)

    assert result.train_path.read_bytes().startswith(BOM.encode())
    assert train == [line for line in original if line in set(train)]
    assert validation == [line for line in original if line in set(validation)]


def test_a_file_with_broken_lines_is_not_split(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl([*_varied(20), "[1, 2]", '{"messages": '])

    result = split_file(path, 0.1, 0, tmp_path / "t.jsonl", tmp_path / "v.jsonl")

    assert [(f.line, f.code) for f in result.errors] == [(21, "not_an_object"), (22, "invalid_json")]
    assert not (tmp_path / "t.jsonl").exists()


def test_a_fraction_outside_zero_and_one_is_refused(write_jsonl: Writer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_file(write_jsonl(_varied(20)), 1.0, 0, tmp_path / "t.jsonl", tmp_path / "v.jsonl")
