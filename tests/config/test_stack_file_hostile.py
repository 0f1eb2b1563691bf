"""Each malformed-stack-file defect of issue 14: one clear line, exit 2, within a second, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftstack.config import ConfigError, StackFileError, load_environment, load_stack, parse_environment
from ftstack.config.problems import quote_value
from tests.config.hostile_stacks import (
    DEV_STACK,
    PROJECT_YAML,
    ROOT,
    STACK,
    assert_one_clear_refusal,
    check,
    dev_with,
    project,
    validate,
)

Capsys = pytest.CaptureFixture[str]
Patch = pytest.MonkeyPatch

BILLION_LAUGHS = (
    b'  ftstack:laughs:\n    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    b"    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)


@pytest.mark.parametrize(
    ("encoding", "named"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32"), ("utf-16-be", "UTF-8")]
)
def test_a_utf16_or_utf32_stack_file_is_refused_with_a_hint_to_save_it_as_utf8(
    encoding: str, named: str, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, DEV_STACK.encode(encoding))
    assert_one_clear_refusal(validate(folder, capsys, monkeypatch), named, "save it as UTF-8")


def test_a_latin1_byte_is_refused_naming_its_line(tmp_path: Path, capsys: Capsys, monkeypatch: Patch) -> None:
    folder = project(
        tmp_path, dev_with("owner: platform-team", "owner: caf\xe9").replace(b"\xc3\xa9", b"\xe9")
    )
    line = assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "not UTF-8", "0xe9")
    assert "line 22" in line


def test_deeply_nested_yaml_is_refused_without_a_recursion_error(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    deep = b"config:\n  ftstack:deep: " + b"[" * 20_000 + b"]" * 20_000 + b"\n"
    assert_one_clear_refusal(validate(project(tmp_path, deep), capsys, monkeypatch), "nest")


def test_deep_block_nesting_is_refused_at_the_depth_budget(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    deep = b"config:\n" + b"".join(b"  " * (i + 1) + b"k:\n" for i in range(200))
    line = assert_one_clear_refusal(validate(project(tmp_path, deep), capsys, monkeypatch))
    assert "nests deeper than 64 levels" in line


@pytest.mark.parametrize("config", [b"config: [1, 2]\n", b"config: text\n", b"config: 3\n"])
def test_a_config_section_that_is_not_a_mapping_is_refused(
    config: bytes, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    line = assert_one_clear_refusal(validate(project(tmp_path, config), capsys, monkeypatch))
    assert "config: must be a mapping of config keys" in line


@pytest.mark.parametrize("value", [b"[1]", b"{a: 1}", b"3", b"true"])
def test_a_stack_config_dir_of_the_wrong_type_is_refused(
    value: bytes, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    project_file = b"name: ftstack\nruntime: python\nstackConfigDir: " + value + b"\n"
    folder = project(tmp_path, DEV_STACK.encode(), project_file)
    assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "stackConfigDir", "not a folder name")


def test_a_project_config_of_the_wrong_type_is_refused(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, DEV_STACK.encode(), PROJECT_YAML + b"config: [a]\n")
    assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "Pulumi.yaml: config: must be a mapping")


def test_a_stack_config_dir_too_long_for_the_file_system_is_refused(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    project_file = b"name: ftstack\nruntime: python\nstackConfigDir: " + b"s" * 600 + b"\n"
    outcome = validate(project(tmp_path, DEV_STACK.encode(), project_file), capsys, monkeypatch)
    assert outcome.code == 2 and len(outcome.lines) == 1, outcome
    assert "too long" in outcome.lines[0].lower() or "cannot" in outcome.lines[0], outcome.lines


def test_a_project_name_longer_than_pulumi_allows_is_refused(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    project_file = b"name: " + b"n" * 5000 + b"\nruntime: python\nstackConfigDir: stacks\n"
    line = assert_one_clear_refusal(
        validate(project(tmp_path, DEV_STACK.encode(), project_file), capsys, monkeypatch)
    )
    assert "not a project name" in line and "(5000 characters)" in line


def test_a_stack_name_longer_than_pulumi_allows_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path, DEV_STACK.encode())
    with pytest.raises(StackFileError, match="not a stack name"):
        load_stack("s" * 300, folder)


def test_a_config_key_of_thousands_of_characters_is_refused(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    stack = dev_with("config:\n", "config:\n  ? ftstack:" + "k" * 3000 + "\n  : 1\n")
    line = assert_one_clear_refusal(validate(project(tmp_path, stack), capsys, monkeypatch))
    assert "keys are at most 256" in line


def test_an_integer_like_2_to_the_1100_is_refused_by_validate(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("seed: 42", f"seed: {2**1100}"))
    line = assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "fineTuning.jobs[0].seed")
    assert "2**53" in line and str(2**1100) not in line


def test_an_integer_like_2_to_the_1100_in_any_config_key_is_refused_by_check(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    # Before: validate passed (only ftstack:environment is typed) and check died of an OverflowError.
    folder = project(tmp_path, dev_with("config:\n", f"config:\n  ftstack:big: {2**1100}\n"))
    assert_one_clear_refusal(check(folder, capsys, monkeypatch), "ftstack:big", "too large")


def test_a_billion_laughs_alias_structure_does_not_hang_check(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(
        tmp_path, DEV_STACK.replace("config:\n", "config:\n" + BILLION_LAUGHS.decode(), 1).encode()
    )
    assert len(BILLION_LAUGHS) < 400
    assert_one_clear_refusal(check(folder, capsys, monkeypatch), "aliases expand")


def test_a_few_shared_anchors_are_still_fine(tmp_path: Path, capsys: Capsys, monkeypatch: Patch) -> None:
    stack = dev_with(
        "hyperparameters: {nEpochs: 3, batchSize: 4, learningRateMultiplier: 1.0}",
        "hyperparameters: &hp {nEpochs: 3, batchSize: 4, learningRateMultiplier: 1.0}",
    ).replace(
        b"hyperparameters: {nEpochs: 3, batchSize: 4, learningRateMultiplier: 1.0}", b"hyperparameters: *hp"
    )
    outcome = validate(project(tmp_path, stack), capsys, monkeypatch)
    assert outcome.code == 0, outcome.lines


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_a_nan_or_infinite_learning_rate_is_refused_by_validate(
    value: str, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("learningRateMultiplier: 1.0", f"learningRateMultiplier: {value}"))
    assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "learningRateMultiplier", "finite number")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_nan_or_infinite_learning_rate_is_refused_by_the_schema_too(value: float) -> None:
    # The program reads the config as JSON, which Python's json module lets NaN through.
    raw = _dev_environment()
    raw["fineTuning"]["jobs"][0]["method"]["hyperparameters"]["learningRateMultiplier"] = value
    with pytest.raises(ConfigError, match=r"learningRateMultiplier: (nan|inf): must be a positive number"):
        parse_environment(raw, project_dir=ROOT)


def test_a_duplicate_key_is_refused_naming_both_lines(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    stack = dev_with("      name: ftstack-dev\n", "      name: ftstack-dev\n      name: ftstack-other\n")
    line = assert_one_clear_refusal(validate(project(tmp_path, stack), capsys, monkeypatch))
    assert "config.ftstack:environment.account: the key 'name' appears twice (first at line 15)" in line
    assert "line 16:" in line


def test_a_duplicate_config_key_is_refused(tmp_path: Path, capsys: Capsys, monkeypatch: Patch) -> None:
    stack = dev_with(
        "  azure-native:location: francecentral\n", "  azure-native:location: francecentral\n" * 2
    )
    assert_one_clear_refusal(validate(project(tmp_path, stack), capsys, monkeypatch), "appears twice")


def test_a_ten_megabyte_line_is_refused_without_being_repeated(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("owner: platform-team", "owner: " + "x" * 10_000_000))
    line = assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "bytes; at most")
    assert "xxxxxxxxxx" not in line


def test_a_long_bad_value_is_quoted_at_most_about_80_characters(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("region: francecentral", "region: " + "r" * 100_000))
    outcome = validate(folder, capsys, monkeypatch)
    assert outcome.code == 2 and outcome.lines
    for line in outcome.lines:
        assert "r" * 81 not in line and len(line) < 600, line[:300]
    assert any("(100000 characters)" in line for line in outcome.lines), outcome.lines


def test_quote_value_cuts_long_values_and_huge_integers() -> None:
    assert quote_value("abc") == "'abc'"
    assert len(quote_value("x" * 10_000)) < 110
    assert quote_value(10**5000) == "an integer of 5001 digits"  # repr() would raise past 4300 digits


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("seed: 42", "seed: 2147483648", "fineTuning.jobs[0].seed", "less than or equal to 2147483647"),
        ("nEpochs: 3", "nEpochs: 51", "hyperparameters.nEpochs", "the service takes 1 to 50"),
        ("batchSize: 4", "batchSize: 257", "hyperparameters.batchSize", "the service takes 1 to 256"),
        ("learningRateMultiplier: 1.0", "learningRateMultiplier: 11", "learningRateMultiplier", "at most 10"),
        (
            "capacity: 50",
            "capacity: 2147483648",
            "deployments[0].capacity",
            "less than or equal to 2147483647",
        ),
        ("nEpochs: 3", "nEpochs: true", "hyperparameters.nEpochs", "True"),
        ("capacity: 50", "capacity: true", "deployments[0].capacity", "valid integer"),
        ("seed: 42", "seed: '42'", "fineTuning.jobs[0].seed", "valid integer"),
        ("production: false", "production: 0", "production", "valid boolean"),
        ("principalId: 00000000-0000-0000-0000-00000000d001", "principalId: alice", "principalId", "GUID"),
        ("examples/support-chat/training.jsonl", "/etc/passwd", "trainingFile", "inside the project folder"),
        (
            "examples/support-chat/training.jsonl",
            "../secrets.jsonl",
            "trainingFile",
            "inside the project folder",
        ),
        (
            "examples/support-chat/training.jsonl",
            "C:\\\\data\\\\t.jsonl",
            "trainingFile",
            "inside the project",
        ),
        ("examples/support-chat/training.jsonl", "~/t.jsonl", "trainingFile", "inside the project folder"),
    ],
)
def test_values_the_service_refuses_are_refused_by_validate(
    old: str, new: str, key: str, words: str, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    outcome = validate(project(tmp_path, dev_with(old, new)), capsys, monkeypatch)
    assert outcome.code == 2, outcome
    matching = [line for line in outcome.lines if f"{key}:" in line]
    assert matching and any(words in line for line in matching), outcome.lines


def test_a_dpo_beta_above_the_service_range_is_refused() -> None:
    raw = _dev_environment()
    job = raw["fineTuning"]["jobs"][0]
    job["method"] = {"type": "dpo", "hyperparameters": {"beta": 3.0}}
    with pytest.raises(ConfigError) as caught:
        parse_environment(raw)
    assert any(
        "hyperparameters.beta: 3.0: must be a positive number" in line for line in caught.value.lines()
    )


def test_a_training_file_linked_outside_the_project_is_refused(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text((ROOT / "examples/support-chat/training.jsonl").read_text())
    folder = project(tmp_path / "p", dev_with("examples/support-chat/training.jsonl", "data/link.jsonl"))
    (folder / "data").mkdir()
    (folder / "data" / "link.jsonl").symlink_to(outside)
    outcome = validate(folder, capsys, monkeypatch)
    assert outcome.code == 2
    assert any("trainingFile: 'data/link.jsonl' leads outside the project" in line for line in outcome.lines)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_training_file_does_not_block_validate(
    tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("examples/support-chat/training.jsonl", "data/pipe.jsonl"))
    (folder / "data").mkdir()
    os.mkfifo(folder / "data" / "pipe.jsonl")
    outcome = validate(folder, capsys, monkeypatch)
    assert outcome.code == 2 and outcome.seconds < 1.0


def test_an_unquoted_date_is_read_as_the_text_written(tmp_path: Path) -> None:
    # Before: a datetime.date, which json.dumps (the program's config) cannot serialize.
    folder = project(tmp_path, dev_with('version: "2025-04-14"', "version: 2025-04-14"))
    config, env = load_environment(STACK, folder)
    assert env.fine_tuning.jobs[0].version == "2025-04-14"
    assert '"version": "2025-04-14"' in config.pulumi_config()["ftstack:environment"]


@pytest.mark.parametrize("tagged", ["!!binary aGVsbG8=", "!!set {a, b}", "!!python/object:os.system x"])
def test_tags_pulumi_config_cannot_carry_are_refused(
    tagged: str, tmp_path: Path, capsys: Capsys, monkeypatch: Patch
) -> None:
    folder = project(tmp_path, dev_with("owner: platform-team", f"owner: {tagged}"))
    assert_one_clear_refusal(validate(folder, capsys, monkeypatch), "is not supported in a stack file")


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path, capsys: Capsys, monkeypatch: Patch) -> None:
    folder = project(tmp_path, dev_with("config:\n", "config:\n  ftstack:loop: &loop [*loop]\n"))
    assert_one_clear_refusal(check(folder, capsys, monkeypatch), "contains it")


def test_the_console_script_prints_no_traceback_for_the_worst_files(tmp_path: Path) -> None:
    ftstack = str(Path(sys.executable).with_name("ftstack"))
    cases = {
        "utf16": (DEV_STACK.encode("utf-16"), ["config", "validate"]),
        "deep": (b"config:\n  ftstack:deep: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", ["check"]),
        "laughs": (b"config:\n" + BILLION_LAUGHS, ["check"]),
    }
    for name, (content, command) in cases.items():
        folder = project(tmp_path / name, content, with_examples=False)
        start = time.perf_counter()
        done = subprocess.run(
            [ftstack, *command, "-s", STACK, "--project-dir", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, (name, command, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
        assert time.perf_counter() - start < 30


def _dev_environment() -> dict:  # type: ignore[type-arg]
    import yaml

    return yaml.safe_load(DEV_STACK)["config"]["ftstack:environment"]  # type: ignore[no-any-return]
