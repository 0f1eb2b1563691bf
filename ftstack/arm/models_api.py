"""Azure's Models API (`models.list(location)`) read through azure-mgmt-cognitiveservices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from ftstack.catalog.drift import AzureModel


class ModelsApiError(RuntimeError):
    """Azure could not be read (sign-in or request failed); the message says which and why."""


def list_location_models(
    subscription_id: str,
    regions: Iterable[str],
    credential: TokenCredential | None = None,
    **client_kwargs: Any,
) -> dict[str, list[AzureModel]]:
    """The OpenAI-format models Azure lists per region (`client_kwargs` reach the SDK client, e.g. a transport)."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    client = CognitiveServicesManagementClient(credential, subscription_id, **client_kwargs)
    out: dict[str, list[AzureModel]] = {}
    for region in regions:
        try:
            out[region] = [_record(region, item) for item in client.models.list(region)]
        except ClientAuthenticationError as exc:
            raise ModelsApiError(f"could not sign in to Azure: {_first_line(exc)}") from None
        except AzureError as exc:
            raise ModelsApiError(f"listing models in {region} failed: {_first_line(exc)}") from None
    return out


def _record(region: str, item: Any) -> AzureModel:
    model = item.model
    caps: dict[str, str] = dict(model.capabilities or {})
    return AzureModel(
        region=region,
        name=str(model.name),
        version=str(model.version),
        fine_tune=caps.get("fineTune", "false").lower() == "true",
        tokens_max=_int(caps.get("FineTuneTokensMaxValue")),
        tokens_max_per_example=_int(caps.get("FineTuneTokensMaxValuePerExample")),
        lifecycle_status=model.lifecycle_status,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
