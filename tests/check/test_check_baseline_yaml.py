"""The production baseline and the base ref's stack file are read with the untrusted-YAML loader: an alias
bomb or a duplicate key in either is one clear refusal, never a hang or a silent last-one-wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftstack.check.baseline import BaselineError, load_baseline

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8)
)


def _pack_with_baseline(folder: Path, text: str) -> Path:
    (folder / "baseline").mkdir(parents=True)
    (folder / "baseline" / "prod-eu.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "text",
    [ALIAS_BOMB, "production: true\nproduction: false\nresidency: {}\n"],
    ids=["alias-bomb", "duplicate-key"],
)
def test_a_hostile_baseline_file_is_one_refusal_naming_the_file(tmp_path: Path, text: str) -> None:
    pack = _pack_with_baseline(tmp_path / "policies", text)
    with pytest.raises(BaselineError) as refused:
        load_baseline(pack, "prod-eu")
    message = str(refused.value)
    assert message.startswith("policies/baseline/prod-eu.yaml: ") and "\n" not in message
