"""The CLI as a new user meets it, through the console script: help, version, usage errors, output in
terminals and pipes, JSON errors, friendly spellings, stack selection and credential failures."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.terminal import on_a_terminal

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


def run_shell(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`bash -c LINE` in the checkout, with exactly `env`, as a user types it."""
    return subprocess.run(
        ["bash", "-c", line], cwd=ROOT, capture_output=True, text=True, check=False, env=env, timeout=120
    )


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


def test_the_readmes_ways_to_run_ftstack_work_without_it_on_path() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "`source .venv/bin/activate`" in readme and "`.venv/bin/ftstack`" in readme
    bare = {"PATH": "/usr/bin:/bin"}
    assert run_shell("ftstack --version", bare).returncode == 127  # not on PATH: the README says so
    for line in ("source .venv/bin/activate && ftstack --version", ".venv/bin/ftstack --version"):
        done = run_shell(line, bare)
        assert done.returncode == 0 and done.stdout.startswith("ftstack "), (line, done.stderr)


def test_shell_completion_prints_a_script_for_the_shell() -> None:
    # `--show-completion` detects the calling shell (make's `sh` in CI); the variable names bash outright.
    done = run(env={"_FTSTACK_COMPLETE": "source_bash"})
    assert done.returncode == 0, done.stderr
    assert "_FTSTACK_COMPLETE" in done.stdout and "complete " in done.stdout


def test_every_command_with_json_output_spells_it_json_and_writes_its_folder_with_out() -> None:
    import typer.main

    from ftstack.cli.app import app

    def leaves(command: Any, prefix: list[str]) -> list[tuple[list[str], list[str]]]:
        subs = getattr(command, "commands", None) or {}
        if not subs:
            return [(prefix, [o for p in command.params for o in getattr(p, "opts", [])])]
        return [leaf for name, sub in subs.items() for leaf in leaves(sub, [*prefix, name])]

    found = leaves(typer.main.get_command(app), [])
    with_json = [path for path, opts in found if any("json" in o for o in opts)]
    assert len(with_json) >= 15
    for path, opts in found:
        assert not {o for o in opts if "json" in o} - {"--json"}, path
        assert "--output" not in opts and "-o" not in opts, path
    folders = {" ".join(path) for path, opts in found if "--out" in opts}
    assert {"eval", "report", "experiment report"} <= folders


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


# --- experiments and stack mistakes ------------------------------------------------------------------


def _readme_sweep() -> str:
    """The sweep line of the README's experiment example, as written there."""
    found = re.search(r"^\s*(sweep: \{nEpochs: .*?\})", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert found is not None
    return found[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose stacks are `dev` with one change each: the README's sweep, 300 epochs, out-of-range
    hyperparameters, a bad select."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    shutil.copytree(ROOT / "examples", folder / "examples")
    (folder / "stacks").mkdir()
    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    subsets = "            subsets: [0.34, 0.67, 1.0]\n"
    assert subsets in dev
    variants = {
        "sweep": dev.replace(subsets, f"{subsets}            {_readme_sweep()}\n            maxPoints: 12\n"),
        "epochs": dev.replace("nEpochs: 3,", "nEpochs: 300,", 1),
        "hyper": dev.replace(
            "batchSize: 4, learningRateMultiplier: 1.0", "batchSize: 1000, learningRateMultiplier: 100", 1
        ),
        "select": dev.replace("select: best_validation_loss}", "select: latest}"),
    }
    for name, text in variants.items():
        assert text != dev
        (folder / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
    return folder


def test_the_readmes_sweep_plans_suffixes_the_service_accepts(project: Path) -> None:
    from ftstack.fine_tuning.inputs import SUFFIX_PATTERN

    done = run("experiment", "plan", "-s", "sweep", cwd=project)
    assert done.returncode == 0, done.stderr
    names = re.findall(r"support-curve-\S+", done.stdout)
    assert len(names) == 12 and "support-curve-n12-e2-lr0p5" in names
    assert all(SUFFIX_PATTERN.match(name) for name in names), names
    assert "lr0.5" not in done.stdout


def test_on_an_80_column_terminal_experiment_plan_keeps_job_names_whole(project: Path) -> None:
    shown = on_a_terminal("experiment", "plan", "-s", "sweep", cwd=project)
    for name in ("support-curve-n12-e2-lr0p5", "support-curve-n36-e4-lr1"):
        assert name in shown
    assert "…" not in shown


@pytest.mark.parametrize("command", [["config", "validate"], ["experiment", "plan"]])
def test_more_epochs_than_the_service_takes_is_refused(project: Path, command: list[str]) -> None:
    done = run(*command, "-s", "epochs", cwd=project)
    assert done.returncode == 2
    assert "hyperparameters.nEpochs: 300:" in done.stderr and "the service takes 1 to 50" in done.stderr


def test_batch_size_and_learning_rate_are_bounded_as_the_service_bounds_them(project: Path) -> None:
    done = run("config", "validate", "-s", "hyper", cwd=project)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert any(
        "hyperparameters.batchSize: 1000:" in line and "the service takes 1 to 256" in line for line in lines
    )
    assert any(
        "hyperparameters.learningRateMultiplier: 100:" in line and "the service takes at most 10" in line
        for line in lines
    )


def test_a_bad_checkpoint_select_names_the_yaml_keys_not_a_python_class(project: Path) -> None:
    done = run("config", "validate", "-s", "select", cwd=project)
    assert done.returncode == 2
    assert "deployments[1].model.select: 'latest':" in done.stderr
    assert "Input should be a mapping with the key step" in done.stderr
    assert "StepSelect" not in done.stderr and "instance of" not in done.stderr


def test_experiment_report_without_a_credential_is_one_line_that_says_how_to_sign_in(tmp_path: Path) -> None:
    empty_home = {"HOME": str(tmp_path), "AZURE_CONFIG_DIR": str(tmp_path / "az"), "PATH": "/usr/bin:/bin"}
    done = run(
        "experiment", "report", "-s", "dev", "--experiment", "support-curve", "--out", str(tmp_path / "out"),
        env=empty_home,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "sign in with `az login`" in done.stderr and "FTSTACK_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr and "ClientAuthenticationError" not in done.stderr


@pytest.mark.parametrize("method", ["DPO", "Dpo", "dpo"])
def test_a_method_in_any_case_is_understood(method: str) -> None:
    done = run(
        "data", "validate", "examples/support-chat/training.jsonl", "--model", "gpt-4o-mini", "--method", method,
        "--json",
    )  # fmt: skip
    assert done.returncode == 1  # understood: the model offers no DPO, and the file is not DPO data
    codes = [e["code"] for e in json.loads(done.stdout)["errors"]]
    assert "method_not_supported" in codes


def test_every_commands_help_shows_no_python_types_as_metavars() -> None:
    import typer.main
    from typer.testing import CliRunner

    from ftstack.cli.app import app

    def paths(command: Any, prefix: list[str]) -> list[list[str]]:
        found = [prefix]
        for name, sub in (getattr(command, "commands", None) or {}).items():  # a group's subcommands
            found += paths(sub, [*prefix, name])
        return found

    every = paths(typer.main.get_command(app), [])
    assert ["jobs", "events"] in every and ["experiment", "report"] in every
    python_type = re.compile(r"<(bool|str|int|float|path|list\[[a-z]+\])>|\[(str|int|float|bool)\]")
    for path in every:
        shown = CliRunner().invoke(app, [*path, "-h"], terminal_width=200)
        assert shown.exit_code == 0, (path, shown.output)
        assert python_type.search(shown.output) is None, (path, python_type.search(shown.output))


# --- evaluation progress -----------------------------------------------------------------------------


def test_the_eval_progress_bar_moves_as_answers_arrive_and_the_counts_add_up(tmp_path: Path) -> None:
    from ftstack.emulator.faults import parse_fault_spec
    from ftstack.emulator.server import running_emulator

    slow = parse_fault_spec("route=POST /deployments/*/chat/completions,kind=slow,delay=0.3,times=always")
    with running_emulator(region="swedencentral", faults=[slow]) as url:
        shown = on_a_terminal(
            "eval", "--endpoint", url, "--data", "examples/support-chat/holdout.jsonl",
            "--base", "gpt-4o-mini-2024-07-18", "--candidate", "gpt-4.1-mini-2025-04-14", "--token", "t",
            "--concurrency", "2", "--out", str(tmp_path / "eval"), columns=120,
        )  # fmt: skip
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    answers = 2 * sum(
        1 for line in (ROOT / "examples/support-chat/holdout.jsonl").read_text().splitlines() if line
    )
    counts = {int(done) for done, total in re.findall(r"(\d+)/(\d+)", plain) if int(total) == answers}
    assert answers in counts and any(0 < done < answers for done in counts), sorted(counts)
    sent = [int(n) for n in re.findall(r"(\d+) requests sent", plain)]
    assert sum(sent) == answers  # one request per answer, counted once


def test_the_default_output_folders_are_git_ignored() -> None:
    import typer.main

    from ftstack.cli.app import app

    root = typer.main.get_command(app)
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    defaults = {}
    for name in ("eval", "report"):
        command = root.commands[name]  # type: ignore[attr-defined]
        defaults[name] = next(str(p.default) for p in command.params if "--out" in getattr(p, "opts", []))
    assert defaults == {"eval": "evaluation", "report": "report"}
    for folder in defaults.values():
        assert f"/{folder}/" in ignored
    assert (
        "/outputs.json" in ignored and ".ftstack/" in ignored
    )  # the walk-through's outputs, the local Azure
