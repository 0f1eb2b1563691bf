"""`ftstack data validate|stats|split`: the CLI contract of DESIGN.md (JSON keys, exit codes, errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from training_files import Writer, chat_example, dpo_example
from typer.testing import CliRunner

from ftstack.cli.app import app

runner = CliRunner()


def test_validate_json_follows_the_contract_and_exits_0_when_valid(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(12)])

    result = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-4o-mini", "--json"])

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"valid", "examples", "errors", "warnings", "tokens", "billed_tokens_estimate"}
    assert data["valid"] is True and data["examples"] == 12 and data["errors"] == []
    assert {"total", "max_example"} <= set(data["tokens"])
    assert data["billed_tokens_estimate"] == data["tokens"]["total"] * 8  # 12 examples: auto picks 8 epochs


def test_validate_exits_1_and_lists_every_error_with_its_line(write_jsonl: Writer) -> None:
    lines = [chat_example(i) for i in range(10)]
    path = write_jsonl([*lines[:2], "not json", *lines[2:], {"messages": []}])

    result = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-4o-mini", "--json"])

    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(3, "invalid_json"), (12, "empty_messages")]
    assert all(set(e) == {"line", "code", "message"} for e in errors)


def test_validate_prints_a_readable_report(write_jsonl: Writer) -> None:
    path = write_jsonl([*[chat_example(i) for i in range(10)], {"messages": []}])

    result = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-4.1-nano"])

    assert result.exit_code == 1
    assert "empty_messages" in result.stdout
    assert "invalid" in result.stdout and "32,768" in result.stdout


def test_validate_dpo_data_for_a_dpo_model(write_jsonl: Writer) -> None:
    path = write_jsonl([dpo_example(i) for i in range(10)])

    ok = runner.invoke(
        app, ["data", "validate", str(path), "--model", "gpt-4.1", "--method", "dpo", "--json"]
    )
    refused = runner.invoke(
        app, ["data", "validate", str(path), "--model", "gpt-4o-mini", "--method", "dpo", "--json"]
    )

    assert ok.exit_code == 0, ok.stdout
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["errors"][0]["code"] == "method_not_supported"


def test_unknown_model_missing_file_and_ambiguous_version_are_usage_errors(
    write_jsonl: Writer, tmp_path: Path
) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])

    unknown = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-5-turbo"])
    missing = runner.invoke(app, ["data", "validate", str(tmp_path / "nope.jsonl"), "--model", "gpt-4o"])
    ambiguous = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-35-turbo"])
    chosen = runner.invoke(
        app, ["data", "validate", str(path), "--model", "gpt-35-turbo", "--version", "0125"]
    )

    assert unknown.exit_code == missing.exit_code == ambiguous.exit_code == 2
    assert "gpt-4o-mini" in unknown.stderr  # the catalog names the models that exist
    assert "nope.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    assert "1106" in ambiguous.stderr and "0125" in ambiguous.stderr
    assert chosen.exit_code == 0
    assert all(len(r.stderr.strip().splitlines()) == 1 for r in (unknown, missing, ambiguous))


def test_stats_show_percentiles_roles_and_the_epochs_auto_picks(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(40)])

    human = runner.invoke(app, ["data", "stats", str(path), "--model", "gpt-4o-mini"])
    data = json.loads(
        runner.invoke(
            app,
            [
                "data",
                "stats",
                str(path),
                "--model",
                "gpt-4o-mini",
                "--epochs",
                "2",
                "--price-per-million-tokens",
                "3",
                "--json",
            ],
        ).stdout
    )

    assert human.exit_code == 0
    for word in ("p5", "p50", "p95", "max", "assistant tokens", "auto picks 3 epochs", "billed tokens"):
        assert word in human.stdout
    assert data["epochs"] == 2 and data["epochs_auto"] is False
    assert data["tokens_per_example"]["max"] >= data["tokens_per_example"]["p50"]
    assert data["estimated_cost"] == round(data["billed_tokens"] * 3 / 1e6, 2)


def test_stats_refuse_a_bad_epochs_value(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])

    result = runner.invoke(app, ["data", "stats", str(path), "--model", "gpt-4o-mini", "--epochs", "many"])

    assert result.exit_code == 2
    assert "--epochs" in result.stderr


def test_split_writes_both_halves_beside_the_file(write_jsonl: Writer) -> None:
    examples = [chat_example(i) for i in range(50)]
    path = write_jsonl([*examples, examples[0]])

    result = runner.invoke(app, ["data", "split", str(path), "--validation", "0.2", "--seed", "4", "--json"])

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["train"]["examples"], data["validation"]["examples"], data["duplicates_removed"]) == (
        40,
        10,
        1,
    )
    assert Path(data["validation"]["path"]) == path.with_name("train.validation.jsonl")
    assert len(Path(data["train"]["path"]).read_bytes().splitlines()) == 40


def test_split_refuses_a_fraction_of_one(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])

    result = runner.invoke(app, ["data", "split", str(path), "--validation", "1"])

    assert result.exit_code == 2
    assert "between 0 and 1" in result.stderr


def _one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_split_into_a_folder_that_is_a_file_is_one_usage_error(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl([chat_example(i) for i in range(20)])
    blocker = tmp_path / "taken"
    blocker.write_text("a file")

    onto_file = runner.invoke(app, ["data", "split", str(path), "--out", str(blocker)])
    under_file = runner.invoke(app, ["data", "split", str(path), "--out-dir", str(blocker / "halves")])

    assert onto_file.exit_code == under_file.exit_code == 2
    assert "--out" in _one_error_line(onto_file) and "is a file" in onto_file.stderr
    assert "--out" in _one_error_line(under_file)
    assert blocker.read_text() == "a file"


def test_split_refuses_when_the_validation_half_would_be_empty(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl([chat_example(i) for i in range(5)])

    result = runner.invoke(
        app, ["data", "split", str(path), "--validation", "0.1", "--out-dir", str(tmp_path / "out")]
    )

    assert result.exit_code == 2
    assert "validation file empty" in _one_error_line(result) and "at least 6 examples" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("price", ["nan", "inf", "-1"])
def test_stats_refuse_a_price_that_is_not_a_finite_amount(write_jsonl: Writer, price: str) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])

    result = runner.invoke(
        app,
        ["data", "stats", str(path), "--model", "gpt-4o-mini", "--price-per-million-tokens", price, "--json"],
    )

    assert result.exit_code == 2
    assert "--price-per-million-tokens" in _one_error_line(result)
    # Asked for JSON, the refusal comes as the JSON error document on stdout as well.
    assert json.loads(result.stdout)["error"]["exitCode"] == 2


def test_stats_exit_1_on_an_invalid_file_and_describe_its_valid_examples_only(write_jsonl: Writer) -> None:
    path = write_jsonl([*[chat_example(i) for i in range(10)], "not json", {"messages": []}])

    result = runner.invoke(app, ["data", "stats", str(path), "--model", "gpt-4o-mini", "--json"])

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["examples"], data["valid_examples"], data["valid"]) == (12, 10, False)
    assert data["tokens_per_example"]["min"] > 0  # the broken lines are not 0-token examples
    assert data["messages_per_example"]["min"] == 3


@pytest.mark.parametrize("spelling", ["DPO", "Dpo"])
def test_the_method_is_accepted_in_azures_casing(write_jsonl: Writer, spelling: str) -> None:
    path = write_jsonl([dpo_example(i) for i in range(10)])

    result = runner.invoke(
        app, ["data", "validate", str(path), "--model", "gpt-4.1", "--method", spelling, "--json"]
    )

    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_piped_reports_keep_each_line_whole_for_grep(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])

    validated = runner.invoke(app, ["data", "validate", str(path), "--model", "gpt-4.1-nano"])
    split = runner.invoke(app, ["data", "split", str(path), "--validation", "0.2"])

    summary = [line for line in validated.stdout.splitlines() if line.startswith(path.name)]
    assert len(summary) == 1 and summary[0].endswith("epochs (auto)"), validated.stdout
    assert len(summary[0]) > 80
    wrote = split.stdout.strip()
    assert "\n" not in wrote and wrote.startswith("wrote ") and wrote.endswith("removed"), split.stdout
