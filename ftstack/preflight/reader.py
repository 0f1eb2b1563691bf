"""The one interface every source of quota facts offers (Azure through the SDK, recorded responses, the
local Azure), and the errors a read may end in."""

from __future__ import annotations

from typing import Protocol

from ftstack.preflight.quota import AccountState, SkuCapacity, Usage


class PreflightReadError(RuntimeError):
    """Azure could not be read (a request failed); the message says which read and why."""


class CredentialError(PreflightReadError):
    """No credential could sign in; the message says how to log in."""


class QuotaReader(Protocol):
    """Read-only access to a subscription's quota and capacity, and to the stack's account."""

    def usages(self, location: str) -> list[Usage] | None:
        """The subscription's quotas in `location`; None when nothing is known there (not recorded)."""
        ...

    def model_capacities(self, model: str, version: str) -> list[SkuCapacity] | None:
        """Available capacity of (model, version) per location and SKU; None when the API does not offer it."""
        ...

    def account(self, resource_group: str, name: str) -> AccountState:
        """The stack's account as it stands (deployments, and the data plane's files and jobs when readable)."""
        ...
