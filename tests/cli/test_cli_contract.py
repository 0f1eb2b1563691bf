"""The CLI contract of DESIGN.md, through the real `ftstack` console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FTSTACK = str(Path(sys.executable).with_name("ftstack"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FTSTACK, *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_matrix_check_refuses_gpt_4o_mini_in_eastus2_and_lists_the_standard_alternatives() -> None:
    result = run(
        "matrix", "check", "--model", "gpt-4o-mini", "--region", "eastus2", "--training", "standard", "--json"
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) >= {"allowed", "model", "version", "region", "training", "reasons", "alternatives"}
    assert data["allowed"] is False
    assert data["alternatives"]["standard"] == ["northcentralus", "swedencentral"]
    assert data["alternatives"]["global"] == []
    assert data["version"] == "2024-07-18"


def test_matrix_check_exits_0_and_accepts_display_names() -> None:
    result = run(
        "matrix",
        "check",
        "--model",
        "gpt-4.1",
        "--version",
        "2025-04-14",
        "--region",
        "Sweden Central",
        "--training",
        "standard",
        "--json",
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["region"] == "swedencentral"


def test_matrix_check_refuses_vision_in_japan_east_with_exit_1() -> None:
    result = run(
        "matrix",
        "check",
        "--model",
        "gpt-4.1",
        "--region",
        "japaneast",
        "--training",
        "global",
        "--vision",
        "--json",
    )
    assert result.returncode == 1
    assert "japaneast" not in json.loads(result.stdout)["alternatives"]["global"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "gpt-5", "--region", "eastus2"], "unknown model 'gpt-5'"),
        (["--model", "gpt-4o", "--version", "1999", "--region", "eastus2"], "known versions: 2024-08-06"),
        (["--model", "gpt-4o", "--region", "mars"], "unknown region 'mars'"),
        (["--model", "gpt-35-turbo", "--region", "eastus2"], "several versions (1106, 0125)"),
    ],
)
def test_matrix_check_exits_2_with_one_clear_line_for_unknown_input(args: list[str], words: str) -> None:
    result = run("matrix", "check", *args, "--training", "standard", "--json")
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_matrix_check_exits_2_for_a_bad_training_type() -> None:
    result = run("matrix", "check", "--model", "gpt-4o", "--region", "eastus2", "--training", "regional")
    assert result.returncode == 2


def test_matrix_list_json_has_every_row_with_provenance() -> None:
    result = run("matrix", "list", "--json")
    assert result.returncode == 0
    models = json.loads(result.stdout)["models"]
    assert len(models) == 7
    assert all(m["provenance"]["source"] == "seed" for m in models)


def test_matrix_refresh_reports_differences_from_recorded_responses_with_exit_1() -> None:
    result = run(
        "matrix", "refresh", "--recorded", "tests/catalog/recorded", "--region", "swedencentral", "--json"
    )
    assert result.returncode == 1
    kinds = {d["kind"] for d in json.loads(result.stdout)["differences"]}
    assert kinds == {"missing_in_azure", "unknown_model"}


def test_matrix_refresh_without_a_subscription_is_a_usage_error() -> None:
    result = subprocess.run(
        [FTSTACK, "matrix", "refresh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert "AZURE_SUBSCRIPTION_ID" in result.stderr


def test_config_validate_exits_0_for_every_shipped_stack() -> None:
    for stack in ("dev", "prod-eu", "prod-us"):
        assert run("config", "validate", "--stack", stack).returncode == 0


def test_config_validate_exits_2_with_the_key_path(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks").mkdir()
    text = (
        (ROOT / "stacks" / "Pulumi.prod-eu.yaml")
        .read_text()
        .replace("region: swedencentral", "region: eastus2")
    )
    (tmp_path / "stacks" / "Pulumi.bad.yaml").write_text(text)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    result = run("config", "validate", "--stack", "bad", "--project-dir", str(tmp_path))
    assert result.returncode == 2
    assert "stacks/Pulumi.bad.yaml: ftstack:environment.fineTuning.jobs[0].baseModel:" in result.stderr
    assert "northcentralus, swedencentral" in result.stderr


def test_running_one_command_does_not_load_the_heavy_libraries_of_the_others() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['ftstack', 'matrix', 'list', '--json']\n"
        "from ftstack.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('openai', 'fastapi', 'matplotlib', 'ftstack.cli.eval', 'ftstack.cli.emulator', 'ftstack.cli.check')\n"
        "sys.stderr.write(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stderr == ""
    assert json.loads(result.stdout)["models"]


def test_the_root_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in (
        "matrix",
        "config",
        "data",
        "experiment",
        "emulator",
        "eval",
        "report",
        "check",
        "policy-config",
    ):
        assert command in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["policy-config", "--stack", "dev", "--out", "{blocker}/policy.json"],
        [
            "report",
            "--endpoint",
            "http://127.0.0.1:1",
            "--job",
            "ftjob-x",
            "--token",
            "t",
            "--out",
            "{blocker}/r",
        ],
        [
            "eval",
            "--endpoint",
            "http://127.0.0.1:1",
            "--data",
            "examples/support-chat/holdout.jsonl",
            "--base",
            "a",
            "--candidate",
            "b",
            "--token",
            "t",
            "--out",
            "{blocker}/e",
        ],
    ],
    ids=["policy-config", "report", "eval"],
)
def test_an_out_path_under_a_file_is_one_clear_error_with_exit_2(args: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(*(a.replace("{blocker}", str(blocker)) for a in args))
    assert result.returncode == 2
    assert "cannot create the folder" in result.stderr
    assert "Traceback" not in result.stderr
