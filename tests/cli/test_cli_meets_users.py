"""The CLI as a new user meets it, through the console script: help, version, usage errors, output in
terminals and pipes, JSON errors, friendly spellings, stack selection and credential failures."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FTSTACK = str(Path(sys.executable).with_name("ftstack"))
ESC = "\x1b["


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PULUMI_STACK", "NO_COLOR", "FTSTACK_TOKEN", "FTSTACK_FINE_TUNING_TOKEN", "COLUMNS")
    }
    return subprocess.run(
        [FTSTACK, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**base, **(env or {})},
        timeout=timeout,
    )


def on_a_terminal(*args: str, env: dict[str, str] | None = None, columns: int = 80) -> str:
    """What `ftstack ARGS` prints on an 80-column terminal (through `script`, a real pseudo-terminal)."""
    if shutil.which("script") is None:
        pytest.skip("no `script` to give the command a terminal")
    command = " ".join([FTSTACK, *args])
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PULUMI_STACK")}
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**base, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color", **(env or {})},
        timeout=120,
    )
    return result.stdout.replace("\r\n", "\n")


# --- help, version, usage errors ---------------------------------------------------------------------


def test_version_prints_the_installed_version() -> None:
    from importlib import metadata

    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"ftstack {metadata.version('ftstack')}"


def test_dash_h_is_help_and_shows_no_python_types_as_metavars() -> None:
    done = run("eval", "-h")
    assert done.returncode == 0 and "--candidate" in done.stdout
    for python_type in ("<bool>", "<list[str]>", "<str>", "<float>"):
        assert python_type not in done.stdout
    assert "TEXT..." in done.stdout  # a repeatable option says so


def test_shell_completion_is_offered() -> None:
    done = run("--help")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout


def test_an_unknown_option_is_one_line_with_exit_2_and_a_pointer_to_help() -> None:
    done = run("matrix", "check", "--bogus")
    assert done.returncode == 2
    assert done.stderr == "error: No such option: --bogus (see `ftstack matrix check --help`)\n"


def test_the_jobs_command_replaces_the_advice_to_use_the_sdk_or_the_portal() -> None:
    done = run("jobs", "-h")
    for sub in ("list", "show", "events", "checkpoints", "cancel", "pause", "resume"):
        assert sub in done.stdout
    assert "--follow" in run("jobs", "events", "-h").stdout


# --- output in pipes and terminals -------------------------------------------------------------------


def test_piped_output_has_no_colour_no_hard_wrap_and_no_trailing_spaces() -> None:
    done = run("matrix", "list")
    assert done.returncode == 0
    assert ESC not in done.stdout
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) > 120  # one row per line, not wrapped at 80
    assert [line for line in lines if line != line.rstrip()] == []
    assert len([line for line in lines if "gpt-4.1-mini 2025-04-14" in line]) == 1


def test_color_always_colours_even_a_pipe() -> None:
    assert ESC in run("--color", "always", "matrix", "list").stdout


def test_on_an_80_column_terminal_model_names_stay_whole() -> None:
    shown = on_a_terminal("matrix", "list")
    assert "gpt-4.1-mini 2025-04-14" in shown and "gpt-4.1-nano 2025-04-14" in shown
    assert "…" not in shown
    assert max(len(line) for line in shown.splitlines()) <= 80 + 20  # escape codes aside, it fits


def test_no_color_and_color_never_turn_colour_off_on_a_terminal() -> None:
    assert ESC in on_a_terminal("matrix", "list", columns=250)
    assert ESC not in on_a_terminal("matrix", "list", env={"NO_COLOR": "1"}, columns=250)
    assert ESC not in on_a_terminal("--color", "never", "matrix", "list", columns=250)


def test_json_mode_prints_errors_as_json_on_stdout_and_one_line_on_stderr() -> None:
    done = run(
        "matrix", "check", "--model", "gpt-5", "--region", "eastus2", "--training", "standard", "--json"
    )
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "error": {"exitCode": 2, "messages": [done.stderr.removeprefix("error: ").strip()]}
    }
    assert "unknown model 'gpt-5'" in done.stderr


# --- friendly spellings ------------------------------------------------------------------------------


@pytest.mark.parametrize("training", ["Standard", "standard", "STANDARD"])
def test_azure_model_ids_with_versions_and_azure_training_types_are_understood(training: str) -> None:
    done = run(
        "matrix", "check", "--model", "gpt-4o-mini-2024-07-18", "--region", "swedencentral",
        "--training", training, "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["model"], data["version"], data["training"]) == ("gpt-4o-mini", "2024-07-18", "standard")


def test_global_standard_means_global_training() -> None:
    done = run(
        "matrix", "check", "--model", "gpt-4.1", "--region", "swedencentral", "--training", "GlobalStandard",
        "--json",
    )  # fmt: skip
    assert json.loads(done.stdout)["training"] == "global"


def test_an_unknown_training_type_names_both_spellings() -> None:
    done = run("matrix", "check", "--model", "gpt-4.1", "--region", "swedencentral", "--training", "fast")
    assert done.returncode == 2
    assert "use standard or global (Azure: Standard, GlobalStandard)" in done.stderr


# --- stack selection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["prod-eu", "stacks/Pulumi.prod-eu.yaml", "Pulumi.prod-eu.yaml", "acme/ftstack/prod-eu"]
)
def test_every_pulumi_spelling_of_a_stack_selects_it(spelling: str) -> None:
    done = run("config", "validate", "-s", spelling)
    assert done.returncode == 0, done.stderr
    assert "stacks/Pulumi.prod-eu.yaml" in done.stdout
    assert "Pulumi.stacks" not in done.stdout + done.stderr


def test_pulumi_stack_is_the_default_stack() -> None:
    done = run("config", "validate", env={"PULUMI_STACK": "prod-us"})
    assert done.returncode == 0 and "stacks/Pulumi.prod-us.yaml" in done.stdout


def test_the_stack_pulumi_stack_select_chose_is_the_default(tmp_path: Path) -> None:
    project_file = (ROOT / "Pulumi.yaml").resolve()
    digest = hashlib.sha1(str(project_file).encode()).hexdigest()
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    (workspaces / f"ftstack-{digest}-workspace.json").write_text(
        json.dumps({"stacks": {"file:///somewhere": "organization/ftstack/prod-us"}})
    )
    done = run("config", "validate", env={"PULUMI_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "stacks/Pulumi.prod-us.yaml" in done.stdout


def test_no_stack_at_all_is_one_line_listing_the_stacks(tmp_path: Path) -> None:
    done = run("config", "validate", env={"PULUMI_HOME": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "pass --stack NAME (or -s NAME), set PULUMI_STACK" in done.stderr
    assert "stacks here: dev, prod-eu, prod-us" in done.stderr


def test_an_unknown_stack_is_one_line_listing_the_stacks() -> None:
    done = run("experiment", "plan", "-s", "stacks/Pulumi.prod-asia.yaml")
    assert done.returncode == 2
    assert (
        "no stacks/Pulumi.prod-asia.yaml" in done.stderr
        and "stacks here: dev, prod-eu, prod-us" in done.stderr
    )


# --- credentials -------------------------------------------------------------------------------------


def test_no_azure_credential_is_one_line_that_says_how_to_sign_in(tmp_path: Path) -> None:
    empty_home = {"HOME": str(tmp_path), "AZURE_CONFIG_DIR": str(tmp_path / "az"), "PATH": "/usr/bin:/bin"}
    done = run(
        "report", "--endpoint", "https://ftstack-nowhere.openai.azure.com", "--job", "ftjob-1",
        "--out", str(tmp_path / "report"), env=empty_home,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "sign in with `az login`" in done.stderr and "FTSTACK_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr and "DefaultAzureCredential" not in done.stderr
