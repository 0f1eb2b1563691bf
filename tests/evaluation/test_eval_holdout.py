"""Reading the holdout file: prompt without the last assistant turn, that turn as the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftstack.evaluation.holdout import HoldoutError, load_holdout


def _line(*messages: tuple[str, str]) -> str:
    return json.dumps({"messages": [{"role": r, "content": c} for r, c in messages]})


def test_the_last_assistant_turn_becomes_the_reference_and_the_rest_the_prompt(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    # Azure asks for UTF-8 with BOM; the loader must accept it.
    path.write_bytes(
        ("\ufeff" + _line(("system", "Be brief."), ("user", "Hi?"), ("assistant", "Hello.")) + "\n").encode()
    )
    [example] = load_holdout(path)
    assert example.reference == "Hello."
    assert [m["role"] for m in example.prompt] == ["system", "user"]
    assert example.line == 1


def test_the_same_example_always_has_the_same_key_and_a_changed_one_another(tmp_path: Path) -> None:
    one, two = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    one.write_text(_line(("user", "Hi?"), ("assistant", "Hello.")) + "\n")
    two.write_text(_line(("user", "Hi!"), ("assistant", "Hello.")) + "\n")
    assert load_holdout(one)[0].key == load_holdout(one)[0].key
    assert load_holdout(one)[0].key != load_holdout(two)[0].key


def test_every_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    path.write_text(
        "\n".join(
            [
                _line(("user", "Hi?"), ("assistant", "Hello.")),
                "{not json",
                _line(("user", "Hi?"), ("assistant", "Hello."), ("user", "And?")),
            ]
        )
    )
    with pytest.raises(HoldoutError) as caught:
        load_holdout(path)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith(f"{path}:2: not valid JSON")
    assert f"{path}:3: the last message must be the assistant's" in caught.value.problems[1]


def test_a_missing_file_says_which_option_to_fix(tmp_path: Path) -> None:
    with pytest.raises(HoldoutError, match="--data"):
        load_holdout(tmp_path / "nope.jsonl")
