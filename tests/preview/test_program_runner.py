"""The mock runner: config the way the CLI hands it over, secrets, errors, and runs one after another."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from ftstack.preview import UNKNOWN, ProgramError, run_program

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import pulumi

config = pulumi.Config()
thing = pulumi.CustomResource(
    "test:index:Thing",
    "thing",
    {"greeting": config.get("greeting"), "nested": {"token": config.require_secret("token")},
     "size": config.get_int("size"), "tags": config.get_object("tags")},
)
pulumi.export("greeting", config.get("greeting"))
pulumi.export("thingId", thing.id)
"""


def project(folder: Path, stack: str, config: dict[str, object], program: str = PROGRAM) -> Path:
    """A minimal project: Pulumi.yaml with config defaults, one stack file, a program."""
    project_file = {
        "name": "demo",
        "runtime": "python",
        "stackConfigDir": "stacks",
        "config": {
            "greeting": {"type": "string", "default": "hello"},
            "size": {"type": "integer", "default": 2},
        },
    }
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project_file), encoding="utf-8")
    (folder / "stacks").mkdir(exist_ok=True)
    (folder / "stacks" / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump({"config": config}), encoding="utf-8"
    )
    (folder / "__main__.py").write_text(textwrap.dedent(program), encoding="utf-8")
    return folder


def test_project_defaults_apply_and_stack_values_override_them(tmp_path: Path) -> None:
    folder = project(
        tmp_path, "a", {"demo:size": 7, "demo:token": {"secure": "v1:abc"}, "demo:tags": {"k": "v"}}
    )
    run = run_program(folder, "a", preview=False)
    (thing,) = run.resources
    assert thing.inputs["greeting"] == "hello"
    assert thing.inputs["size"] == 7
    assert thing.inputs["tags"] == {"k": "v"}
    assert run.exports["greeting"] == "hello"


def test_secret_inputs_are_unwrapped_and_remembered_by_path(tmp_path: Path) -> None:
    folder = project(tmp_path, "a", {"demo:token": {"secure": "v1:abc"}})
    (thing,) = run_program(folder, "a", preview=False).resources
    assert thing.inputs["nested"] == {"token": "[secret]"}
    # The SDK marks the whole object holding a secret as secret, as the real engine sees it.
    assert thing.secret_paths == ("nested",)
    assert "[secret]" not in str(run_program(folder, "a", preview=False).exports)


def test_ids_are_unknown_in_preview_and_known_in_update(tmp_path: Path) -> None:
    folder = project(tmp_path, "a", {"demo:token": {"secure": "v1:abc"}})
    assert run_program(folder, "a", preview=True).exports["thingId"] == UNKNOWN
    assert run_program(folder, "a", preview=False).exports["thingId"] == "thing-id"


def test_a_missing_stack_is_refused_naming_the_stacks_that_exist(tmp_path: Path) -> None:
    folder = project(tmp_path, "a", {"demo:token": {"secure": "v1:abc"}})
    with pytest.raises(ProgramError) as caught:
        run_program(folder, "b", preview=True)
    assert caught.value.lines == ["no stack 'b': stacks/Pulumi.b.yaml does not exist; stacks: a"]


def test_a_missing_required_setting_comes_back_as_a_clean_problem_line(tmp_path: Path) -> None:
    folder = project(tmp_path, "a", {})
    with pytest.raises(ProgramError) as caught:
        run_program(folder, "a", preview=True)
    (line,) = caught.value.lines
    assert line.startswith("stacks/Pulumi.a.yaml: Missing required configuration variable 'demo:token'")


def test_a_bug_in_the_program_is_not_disguised_as_a_config_problem(tmp_path: Path) -> None:
    folder = project(tmp_path, "a", {}, program="raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        run_program(folder, "a", preview=True)


def test_a_stack_without_its_environment_is_refused_by_the_program(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        (ROOT / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "__main__.py").write_text(
        (ROOT / "__main__.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.empty.yaml").write_text("config: {}\n", encoding="utf-8")
    with pytest.raises(ProgramError) as caught:
        run_program(tmp_path, "empty", preview=True)
    (line,) = caught.value.lines
    assert line.startswith("stacks/Pulumi.empty.yaml: ") and "ftstack:environment" in line
    assert caught.value.declared == []


def test_stacks_run_one_after_another_in_one_process_do_not_leak_into_each_other() -> None:
    first = run_program(ROOT, "dev", preview=False)
    other = run_program(ROOT, "prod-us", preview=False)
    again = run_program(ROOT, "dev", preview=False)
    assert [(r.type, r.name, r.inputs) for r in again.resources] == [
        (r.type, r.name, r.inputs) for r in first.resources
    ]
    assert again.exports == first.exports
    assert other.exports["deploymentNames"] == ["support-bot", "support-bot-burst"]
    assert all(r.urn.startswith("urn:pulumi:dev::ftstack::") for r in again.resources)
