"""A job create does not validate again what the upload already validated, unless the job's model could
judge the data differently (another tokenizer, a smaller example limit that an example exceeds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_harness import chat_example, support_examples, write_jsonl

from ftstack.catalog import ModelRow, load_matrix
from ftstack.catalog.matrix import Method
from ftstack.emulator import training_files
from ftstack.emulator.training_files import Verdict
from ftstack.emulator.validation import Validations, content_sha256


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The base model of every validation that runs from now on."""
    calls: list[str] = []
    real = training_files.validate

    def validate(path: Path, row: ModelRow, method: Method) -> Verdict:
        calls.append(row.azure_base_model)
        return real(path, row, method)

    monkeypatch.setattr(training_files, "validate", validate)
    return calls


def _row(model: str, version: str) -> ModelRow:
    return load_matrix().row(model, version)


def test_a_job_create_reuses_the_upload_verdict_unless_the_model_tokenizes_differently(
    training_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    validations = Validations(workers=1)
    sha = content_sha256(training_file)

    uploaded = validations.upload(training_file, sha, "fine-tune").result()
    verdicts = [
        validations.verdict(training_file, sha, _row(model, version), "supervised").result()
        for model, version in (
            ("gpt-4o-mini", "2024-07-18"),
            ("gpt-4.1-nano", "2025-04-14"),
            ("gpt-35-turbo", "0125"),
        )
    ]

    assert uploaded == ("processed", None)
    assert all(v.valid and v.examples == 24 for v in verdicts)
    # The upload's own validation, then only the model with another tokenizer (cl100k_base).
    assert calls == ["gpt-4o-mini-2024-07-18", "gpt-35-turbo-0125"]


def test_an_example_over_a_smaller_models_limit_is_still_refused_for_that_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_example = chat_example("summarise this: " + "lorem ipsum " * 20_000, "It is filler text.")
    path = write_jsonl(tmp_path / "long.jsonl", [*support_examples(12), long_example])
    calls = _counting(monkeypatch)
    validations = Validations(workers=1)
    sha = content_sha256(path)

    uploaded = validations.upload(path, sha, "fine-tune").result()
    nano = validations.verdict(path, sha, _row("gpt-4.1-nano", "2025-04-14"), "supervised").result()

    assert uploaded == ("processed", None)
    assert not nano.valid and "32,768" in nano.summary
    assert calls == ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"]
