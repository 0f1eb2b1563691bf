"""The stack-file loader hands the program what the Pulumi CLI would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftstack.config import StackFileError, load_environment, load_stack, stack_names

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, stack_yaml: str, project_config: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: ftstack\nruntime: python\nstackConfigDir: stacks\n" + project_config
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(stack_yaml)
    return tmp_path


def test_the_shipped_stacks_are_dev_prod_eu_and_prod_us() -> None:
    assert stack_names(ROOT) == ["dev", "prod-eu", "prod-us"]


@pytest.mark.parametrize("stack", ["dev", "prod-eu", "prod-us"])
def test_every_shipped_stack_validates(stack: str) -> None:
    config, env = load_environment(stack, ROOT)
    assert config.project == "ftstack"
    assert env.name == stack


def test_project_defaults_apply_and_stack_values_override_them(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "config:\n  ftstack:capacity: 7\n",
        "config:\n  capacity: {type: integer, default: 3}\n  retries: {type: integer, default: 2}\n"
        "  azure-native:location: {value: swedencentral}\n",
    )
    values = load_stack("t", project).values
    assert values == {"ftstack:capacity": 7, "ftstack:retries": 2, "azure-native:location": "swedencentral"}


def test_values_reach_the_program_as_the_cli_passes_them(tmp_path: Path) -> None:
    project = _project(tmp_path, "config:\n  ftstack:flag: true\n  ftstack:obj: {a: 1}\n  ftstack:s: x\n")
    assert load_stack("t", project).pulumi_config() == {
        "ftstack:flag": "true",
        "ftstack:obj": json.dumps({"a": 1}),
        "ftstack:s": "x",
    }


def test_secure_values_become_secret_placeholders(tmp_path: Path) -> None:
    project = _project(tmp_path, "config:\n  ftstack:apiKey:\n    secure: AAABAJv+abc=\n")
    config = load_stack("t", project)
    assert config.secret_keys == {"ftstack:apiKey"}
    assert "AAABA" not in config.pulumi_config()["ftstack:apiKey"]


def test_a_missing_stack_names_the_stacks_that_exist() -> None:
    with pytest.raises(StackFileError, match="stacks: dev, prod-eu, prod-us"):
        load_stack("qa", ROOT)


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    project = _project(tmp_path, "config:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(StackFileError, match=r"stacks/Pulumi.t.yaml: line \d+ is not valid YAML"):
        load_stack("t", project)
