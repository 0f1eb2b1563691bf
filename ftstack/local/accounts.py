"""The local Azure's data-plane accounts: one emulator resource per Cognitive Services account, each with its
own region and its own state directory (`<home>/accounts/<subdomain>/`), all on one simulated clock.

A soft-deleted account keeps its files and jobs (Azure keeps them for a restore) but answers 404 until it is
restored; purging it removes its state directory.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ftstack.catalog import load_matrix
from ftstack.catalog.matrix import ModelRow
from ftstack.emulator.app import create_app
from ftstack.emulator.clock import SimulatedClock
from ftstack.emulator.errors import ApiError
from ftstack.emulator.job_requests import resolve_base
from ftstack.emulator.resource import EmulatorResource
from ftstack.emulator.settings import EmulatorSettings


@dataclass
class LocalAccount:
    """One account's data plane: its emulator resource and the app serving `/openai/...` for it."""

    subdomain: str
    arm_id: str
    region: str
    resource: EmulatorResource
    app: FastAPI
    soft_deleted: bool = False

    def summary(self) -> dict[str, Any]:
        """What the inventory shows of this account."""
        self.resource.sync()
        state = self.resource.state
        return {
            "id": self.arm_id,
            "region": self.region,
            "files": len(state.files),
            "jobs": len(state.jobs),
            "deployments": sorted(state.deployments),
        }


@dataclass(frozen=True)
class DeploymentModel:
    """What a deployment's `properties.model` names: the model id chat answers with, and its base row
    (None for a base model: the fine-tuned deployment-type table does not speak about base models)."""

    model_id: str
    fine_tuned_base: ModelRow | None


class DataPlaneAccounts:
    """The open data-plane accounts by subdomain (lower case), sharing one simulated clock."""

    def __init__(self, root: Path, clock: SimulatedClock) -> None:
        self.root = root
        self.clock = clock
        self._accounts: dict[str, LocalAccount] = {}

    def open(self, subdomain: str, region: str, arm_id: str) -> LocalAccount:
        """The account's data plane, created or reopened from its state directory."""
        key = subdomain.lower()
        found = self._accounts.get(key)
        if found is not None and found.region == region:
            found.arm_id = arm_id
            return found
        if found is not None:
            found.resource.close()
        settings = EmulatorSettings(
            region=region,
            time_scale=self.clock.scale,
            state_dir=self.root / key,
            # The outer server has checked the bearer token already; the account needs one to be present.
            token=None,
            strict_deployments=True,
        )
        resource = EmulatorResource(settings, clock=self.clock)
        account = LocalAccount(key, arm_id, region, resource, create_app(resource=resource))
        self._accounts[key] = account
        return account

    def get(self, subdomain: str) -> LocalAccount | None:
        """The account (soft-deleted or not) with this subdomain, if open."""
        return self._accounts.get(subdomain.lower())

    def live(self, subdomain: str) -> LocalAccount | None:
        """The account with this subdomain when it exists and is not soft-deleted."""
        account = self.get(subdomain)
        return None if account is None or account.soft_deleted else account

    def all(self) -> list[LocalAccount]:
        """Every open account, by subdomain."""
        return [self._accounts[k] for k in sorted(self._accounts)]

    def set_soft_deleted(self, subdomain: str, deleted: bool) -> None:
        """Hide a soft-deleted account from the data plane, or show a restored one again."""
        account = self.get(subdomain)
        if account is not None:
            account.soft_deleted = deleted

    def purge(self, subdomain: str) -> None:
        """Remove an account's data plane and its state directory."""
        key = subdomain.lower()
        account = self._accounts.pop(key, None)
        if account is not None:
            account.resource.close()
        shutil.rmtree(self.root / key, ignore_errors=True)

    def deployment_model(self, subdomain: str, name: str, version: str | None) -> DeploymentModel | None:
        """The model a deployment of this account may serve: a base model of the capability matrix (by
        Azure model id, or model name and version), or a fine-tuned model or checkpoint of this account."""
        matrix = load_matrix()
        for row in matrix.rows:
            if name == row.azure_base_model:
                return DeploymentModel(row.azure_base_model, None)
        named = [r for r in matrix.rows if r.model == name and (not version or r.version == version)]
        if named:
            return DeploymentModel(named[-1].azure_base_model, None)
        account = self.get(subdomain)
        if account is None:
            return None
        account.resource.sync()
        try:
            row = resolve_base(account.resource.state, name)
        except ApiError:
            return None
        return DeploymentModel(name, row)

    def register(self, subdomain: str, deployment: str, model_id: str) -> None:
        """Make chat completions answer under `deployment` with `model_id`."""
        account = self.get(subdomain)
        if account is not None:
            account.resource.state.deployments[deployment] = model_id
            account.resource.persist()

    def unregister(self, subdomain: str, deployment: str) -> None:
        """Stop answering under `deployment`."""
        account = self.get(subdomain)
        if account is not None and account.resource.state.deployments.pop(deployment, None) is not None:
            account.resource.persist()

    def reconcile(self, subdomain: str, deployments: dict[str, str]) -> None:
        """Make the account's registered deployments exactly `deployments` (ARM's view after a restart)."""
        account = self.get(subdomain)
        if account is not None and account.resource.state.deployments != deployments:
            account.resource.state.deployments = dict(deployments)
            account.resource.persist()

    def sync_all(self) -> None:
        """Bring every account up to the simulated now and save it (after a clock jump)."""
        for account in self._accounts.values():
            account.resource.sync()
            account.resource.persist()

    def close_all(self) -> None:
        """Save and close every account."""
        for account in self._accounts.values():
            account.resource.close()
        self._accounts.clear()
