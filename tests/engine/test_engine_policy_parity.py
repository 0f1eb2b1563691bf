"""`ftstack check` gives the pack verdict the real `pulumi preview` gives: the same mandatory violations,
on the same resources, for a stack whose resource group takes the provider's default region.

One real preview (the local Azure stands in for azure-native); skipped, with the reason, only where
neither a Pulumi CLI nor Go exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ftstack.cli.app import app
from tests.check import rogue_programs as rogue
from tests.engine.engine_harness import engine_unavailable, ftstack_local, local_project

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")

STACK = "prod-eu"
# `- [mandatory] [severity: high]  <policy>  (<type>: <name>)` in the Policies section of `pulumi preview`.
VIOLATION_LINE = re.compile(
    r"^\s*- \[(?P<level>\w+)\](?: \[severity: \w+\])?\s+(?P<policy>\S+)\s+\((?P<type>\S+): (?P<name>\S+)\)"
)

Verdict = set[tuple[str, str, str]]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """prod-eu with a hand-written resource group without a location, and the provider's default region
    moved to East US."""
    folder = rogue.add_to_program(
        local_project(tmp_path_factory.mktemp("parity") / "project"), rogue.GROUP_WITHOUT_LOCATION
    )
    stack_file = folder / "stacks" / f"Pulumi.{STACK}.yaml"
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    document["config"]["azure-native:location"] = "eastus"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    yield folder
    ftstack_local(folder, "stop")


def preview_verdict(output: str) -> Verdict:
    """The mandatory (policy, type, resource) triples `pulumi preview` printed."""
    found = set()
    for line in output.splitlines():
        match = VIOLATION_LINE.match(line)
        if match and match["level"] == "mandatory":
            found.add((match["policy"], match["type"], match["name"]))
    return found


def check_verdict(project: Path) -> Verdict:
    """The mandatory (policy, type, resource) triples `ftstack check` reported."""
    result = CliRunner().invoke(
        app, ["check", "--stack", STACK, "--format", "json", "--project-dir", str(project)]
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    return {
        (v["policy"], v["type"], v["resource"]) for v in report["violations"] if v["level"] == "mandatory"
    }


def test_check_and_the_real_preview_refuse_the_same_resources_under_the_same_policies(project: Path):
    done = ftstack_local(project, "preview", "--stack", STACK)
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-4000:]
    expected = {
        ("residency-allowed-locations", "azure-native:resources:ResourceGroup", "rg-default-location")
    }
    assert preview_verdict(done.stdout) == expected, done.stdout[-4000:]
    assert check_verdict(project) == expected
