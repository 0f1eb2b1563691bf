"""Helpers of the program tests: run every stack once per mode, and build throwaway projects."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ftstack.config import stack_names
from ftstack.preview import DeclaredResource, ProgramRun, run_program

ROOT = Path(__file__).resolve().parents[2]
STACKS = stack_names(ROOT)

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ROLE = "azure-native:authorization:RoleAssignment"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
GROUP = "azure-native:resources:ResourceGroup"
JOB = "pulumi-python:dynamic/ftstack:FineTuningJob"
PLATFORM = "ftstack:platform:FineTuningPlatform"


@cache
def stack_run(stack: str, preview: bool) -> ProgramRun:
    """The shipped stack's program run (one per stack and mode for the whole session)."""
    return run_program(ROOT, stack, preview)


def stack_environment(stack: str) -> dict[str, Any]:
    """A shipped stack's raw `ftstack:environment`, to change for a test."""
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    environment: dict[str, Any] = doc["config"]["ftstack:environment"]
    return environment


def make_project(
    folder: Path, stack: str, environment: dict[str, Any], extra: dict[str, Any] | None = None
) -> Path:
    """A project folder with the real program, Pulumi.yaml and example data, and one stack file."""
    shutil.copy(ROOT / "Pulumi.yaml", folder / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", folder / "__main__.py")
    # A copy, not a symlink: data files reached through a link outside the project are refused.
    shutil.copytree(ROOT / "examples", folder / "examples")
    (folder / "stacks").mkdir()
    config = {"ftstack:environment": environment, **(extra or {})}
    (folder / "stacks" / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump({"config": config}), encoding="utf-8"
    )
    return folder


def one(run: ProgramRun, type_: str) -> DeclaredResource:
    """The only resource of a type; fails the test when there are none or several."""
    found = run.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def named(run: ProgramRun, type_: str, name: str) -> DeclaredResource:
    """The resource of a type with a given name."""
    found = [r for r in run.of_type(type_) if r.name == name]
    assert len(found) == 1, [r.name for r in run.of_type(type_)]
    return found[0]


def ancestors(run: ProgramRun, resource: DeclaredResource) -> list[str]:
    """The types of a resource's parents, nearest first."""
    urns = {r.urn for r in run.resources}
    chain = []
    while resource.parent_urn in urns:
        resource = run.by_urn(resource.parent_urn)
        chain.append(resource.type)
    return chain
