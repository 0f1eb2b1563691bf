"""Quota and capacity read through azure-mgmt-cognitiveservices: `usages.list(location)`,
`model_capacities.list(...)`, and the stack's account with its deployments (all read-only)."""

from __future__ import annotations

import logging
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from ftstack.preflight.account_data import DataPlaneReads
from ftstack.preflight.quota import AccountState, ExistingDeployment, SkuCapacity, Usage
from ftstack.preflight.reader import CredentialError, PreflightReadError

SIGN_IN_HINT = (
    "sign in with `az login` (or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or run with a "
    "managed or workload identity); reading quota needs the Cognitive Services Usages Reader role on the "
    "subscription"
)
# Statuses that mean "this API has nothing for that question" rather than "the read failed".
_NOT_OFFERED = (400, 404)


class ArmQuotaReader:
    """The preflight's reads from Azure Resource Manager (`client_kwargs` reach the SDK client: a transport
    for recorded responses, a base URL for the local Azure)."""

    def __init__(
        self,
        subscription_id: str,
        credential: TokenCredential | None = None,
        data_plane: DataPlaneReads | None = None,
        **client_kwargs: Any,
    ) -> None:
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        logging.getLogger("azure").setLevel(logging.CRITICAL)  # the one-line error says what failed
        self._client = CognitiveServicesManagementClient(credential, subscription_id, **client_kwargs)
        self._data_plane = data_plane

    def usages(self, location: str) -> list[Usage] | None:
        """The subscription's quotas in `location`; None when Azure has none there."""
        items = self._read(
            f"reading quota usages in {location}", lambda: list(self._client.usages.list(location))
        )
        if items is None:
            return None
        return [
            Usage(
                name=str(u.name.value if u.name else ""),
                localized_name=u.name.localized_value if u.name else None,
                limit=float(u.limit or 0.0),
                current_value=float(u.current_value or 0.0),
                unit=str(u.unit) if u.unit else None,
            )
            for u in items
            if u.name is not None and u.name.value
        ]

    def model_capacities(self, model: str, version: str) -> list[SkuCapacity] | None:
        """Available capacity of (model, version) in every location; None when the API offers none."""
        items = self._read(
            f"reading model capacities of {model} ({version})",
            lambda: list(
                self._client.model_capacities.list(
                    model_format="OpenAI", model_name=model, model_version=version
                )
            ),
        )
        if items is None:
            return None
        out: list[SkuCapacity] = []
        for item in items:
            props = item.properties
            if props is None:
                continue
            out.append(
                SkuCapacity(
                    location=str(item.location or ""),
                    sku=str(props.sku_name or item.name or ""),
                    model=str(props.model.name if props.model else model),
                    version=str(props.model.version if props.model else version),
                    available_capacity=props.available_capacity,
                    available_finetune_capacity=props.available_finetune_capacity,
                )
            )
        return out

    def account(self, resource_group: str, name: str) -> AccountState:
        """The account with its deployments, and its files and jobs when the data plane answers."""
        found = self._read(
            f"reading account {name} in {resource_group}",
            lambda: self._client.accounts.get(resource_group, name),
        )
        if found is None:
            return AccountState(exists=False)
        listed = self._read(
            f"listing the deployments of {name}",
            lambda: list(self._client.deployments.list(resource_group, name)),
        )
        deployments = [
            ExistingDeployment(
                name=str(d.name),
                sku=str(d.sku.name) if d.sku else "Standard",
                capacity=int(d.sku.capacity or 0) if d.sku else 0,
                model=d.properties.model.name if d.properties and d.properties.model else None,
            )
            for d in listed or []
        ]
        endpoint = found.properties.endpoint if found.properties else None
        state = AccountState(exists=True, region=found.location, deployments=deployments)
        if self._data_plane is None or not endpoint:
            return state.model_copy(update={"unreadable": "no data-plane access configured"})
        return self._data_plane.read(name, str(endpoint), state)

    @staticmethod
    def _read(what: str, call: Any) -> Any:
        try:
            return call()
        except ClientAuthenticationError as exc:
            raise CredentialError(f"could not sign in to Azure: {_first_line(exc)}; {SIGN_IN_HINT}") from None
        except HttpResponseError as exc:
            if exc.status_code in _NOT_OFFERED:
                return None
            if exc.status_code in (401, 403):
                raise CredentialError(f"{what}: not allowed ({_first_line(exc)}); {SIGN_IN_HINT}") from None
            raise PreflightReadError(f"{what} failed: {_first_line(exc)}") from None
        except AzureError as exc:
            raise PreflightReadError(f"{what} failed: {_first_line(exc)}") from None


class StaticTokenCredential:
    """A credential that hands out one bearer token (the local Azure's); it never signs in."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """The token, valid for an hour."""
        import time

        return AccessToken(self._token, int(time.time()) + 3600)


class StaticBearerPolicy(SansIOHTTPPolicy):
    """Sends a fixed bearer token over plain http, which the SDK's own policy refuses (the local Azure)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def on_request(self, request: PipelineRequest) -> None:
        """Add the Authorization header."""
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"


def local_reader(
    url: str, token: str, subscription_id: str, data_plane: DataPlaneReads | None
) -> ArmQuotaReader:
    """A reader for the local Azure at `url` (its ARM API lives under `/arm`)."""
    return ArmQuotaReader(
        subscription_id,
        StaticTokenCredential(token),
        data_plane,
        base_url=f"{url.rstrip('/')}/arm",
        authentication_policy=StaticBearerPolicy(token),
    )


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return (str(message).strip().splitlines() or [type(exc).__name__])[0]
