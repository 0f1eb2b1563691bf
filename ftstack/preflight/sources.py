"""Where the preflight reads from: Azure (azure-identity and the SDK), a folder of recorded responses, or
the local Azure. Each is the same `QuotaReader`; only the credential and the transport differ."""

from __future__ import annotations

from pathlib import Path

from ftstack.config.stack_file import StackConfig
from ftstack.preflight.reader import QuotaReader

SUBSCRIPTION_KEY = "azure-native:subscriptionId"
RECORDED_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ARM_SCOPE = "https://management.azure.com/.default"
DATA_PLANE_SCOPE = "https://cognitiveservices.azure.com/.default"


def stack_subscription(config: StackConfig, explicit: str | None) -> str | None:
    """The subscription to read: `explicit` (--subscription or AZURE_SUBSCRIPTION_ID), else the stack's
    `azure-native:subscriptionId`; None when neither says."""
    if explicit:
        return explicit
    value = config.values.get(SUBSCRIPTION_KEY)
    return str(value) if isinstance(value, str) and value.strip() else None


def azure_reader(subscription: str) -> QuotaReader:
    """Azure itself, signed in with DefaultAzureCredential (az login, environment, managed identity)."""
    from azure.identity import DefaultAzureCredential

    from ftstack.arm.quota_api import ArmQuotaReader
    from ftstack.preflight.account_data import HttpDataPlane

    credential = DefaultAzureCredential()
    data_plane = HttpDataPlane(lambda: credential.get_token(DATA_PLANE_SCOPE).token)
    return ArmQuotaReader(subscription, credential, data_plane)


def recorded_reader(folder: Path, subscription: str | None = None) -> QuotaReader:
    """Saved responses in `folder` (layout: ftstack/arm/recorded.py); nothing leaves the machine."""
    from ftstack.arm.quota_api import ArmQuotaReader
    from ftstack.arm.recorded import OfflineCredential, recorded_transport
    from ftstack.preflight.account_data import RecordedDataPlane

    return ArmQuotaReader(
        subscription or RECORDED_SUBSCRIPTION,
        OfflineCredential(),
        RecordedDataPlane(folder),
        transport=recorded_transport(folder),
    )


def local_azure_reader(url: str, token: str, subscription: str) -> QuotaReader:
    """The local Azure at `url`: its ARM API under `/arm`, its accounts' data planes, one static token."""
    from ftstack.arm.quota_api import local_reader
    from ftstack.preflight.account_data import HttpDataPlane

    return local_reader(url, token, subscription, HttpDataPlane(lambda: token))
