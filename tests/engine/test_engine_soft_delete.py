"""A destroyed account's name, through the real `pulumi` CLI on the local Azure: ARM soft-deletes the
account, the next `up` of the same name is refused with FlagMustBeSetForRestore (which ftstack explains
with `account.restore` and the purge command), and `account.restore: true` brings the account back.

One sequence on one small stack (a resource group and an account): up, destroy without purge, up refused,
up with restore.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import parse_environment
from ftstack.config.soft_delete import SOFT_DELETED_CODE, explain_deploy_failure
from tests.engine.engine_harness import (
    engine_unavailable,
    ftstack_local,
    inventory,
    local_project,
    session,
    state_resources,
)

STACK = "softdelete"
ACCOUNT_TYPE = "azure-native:cognitiveservices:Account"

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")


def _environment(restore: bool) -> dict[str, Any]:
    """A non-production stack with only its resource group and account (nothing to train or deploy)."""
    return {
        "name": STACK,
        "residency": {"requirePrivateEndpoint": False, "enforcement": "advisory"},
        "account": {
            "name": "ftstack-softdelete",
            "region": "swedencentral",
            "resourceGroup": {"name": "rg-ftstack-softdelete"},
            "restore": restore,
        },
    }


def _write_stack(project: Path, restore: bool) -> None:
    document = {
        "config": {"azure-native:location": "swedencentral", "ftstack:environment": _environment(restore)}
    }
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copied project with the small stack; destroyed (and its local Azure stopped) at the end."""
    folder = local_project(tmp_path_factory.mktemp("engine-soft-delete") / "project")
    _write_stack(folder, restore=False)
    yield folder
    ftstack_local(folder, "destroy", "--stack", STACK)
    ftstack_local(folder, "stop")


def test_a_destroyed_account_name_is_refused_until_the_stack_restores_it(project: Path) -> None:
    created = ftstack_local(project, "up", "--stack", STACK)
    assert created.returncode == 0, created.stderr[-4000:]
    (account,) = [r for r in state_resources(project, STACK) if r["type"] == ACCOUNT_TYPE]

    run = session(project, STACK)
    destroyed = run.pulumi("destroy", "--yes", *run.stack_args, "--non-interactive", capture=True)
    assert destroyed.returncode == 0, destroyed.stdout[-4000:] + destroyed.stderr[-4000:]
    assert account["id"] in inventory(project, STACK)["softDeletedAccounts"]

    refused = ftstack_local(project, "up", "--stack", STACK)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert SOFT_DELETED_CODE in output
    (advice,) = explain_deploy_failure(output, parse_environment(_environment(restore=False)))
    assert "set account.restore: true" in advice
    assert (
        "az cognitiveservices account purge --name ftstack-softdelete --resource-group rg-ftstack-softdelete "
        "--location swedencentral" in advice
    )

    _write_stack(project, restore=True)
    restored = ftstack_local(project, "up", "--stack", STACK)
    assert restored.returncode == 0, restored.stderr[-4000:]
    held = inventory(project, STACK)
    assert account["id"] not in held["softDeletedAccounts"]
    assert account["id"] in {r["id"] for r in held["resources"]}
