"""The preflight of `ftstack local up`: the stack against the local Azure's quota, before any job trains."""

from __future__ import annotations

from pathlib import Path

from ftstack.preflight.findings import PreflightReport
from ftstack.preflight.sources import local_azure_reader
from ftstack.preflight.stack import preflight_stack

# The subscription the local stand-in provider writes into when a stack sets none
# (ftstack/local/provider/server.py DEFAULT_SUBSCRIPTION_ID, the local Azure's only subscription).
LOCAL_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"


def local_preflight(project_dir: Path, stack: str, url: str, token: str) -> PreflightReport:
    """The preflight report of `stack` read from the local Azure at `url` (the stack's
    azure-native:subscriptionId when it sets one, else the local subscription)."""
    return preflight_stack(
        stack,
        project_dir,
        lambda subscription: local_azure_reader(url, token, subscription),
        "local",
        None,
        default_subscription=LOCAL_SUBSCRIPTION,
    )
