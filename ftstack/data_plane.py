"""What every Azure OpenAI data-plane client in ftstack shares: the API version, the token variable, how an
endpoint is spelled, and what to say when no credential is found.

One token variable: `FTSTACK_TOKEN` (a static bearer token: the emulator's, the local Azure's, or one you
fetched). `FTSTACK_FINE_TUNING_TOKEN` is its deprecated alias, still read when `FTSTACK_TOKEN` is unset.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from ftstack.config.schema import AccountConfig

DEFAULT_API_VERSION = "2025-04-01-preview"
V1 = "v1"  # the `/openai/v1` surface, which takes no api-version
TOKEN_ENV = "FTSTACK_TOKEN"
DEPRECATED_TOKEN_ENV = "FTSTACK_FINE_TUNING_TOKEN"
TOKEN_ENVS = (TOKEN_ENV, DEPRECATED_TOKEN_ENV)
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
CREDENTIAL_HINT = (
    "no Azure credential: sign in with `az login` (or run with a managed or workload identity), "
    f"or pass --token / set {TOKEN_ENV}"
)


def env_token(warn: Callable[[str], None] | None = None) -> str | None:
    """The static bearer token from the environment: FTSTACK_TOKEN, else the deprecated alias (`warn` is
    told when only the alias is set)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    old = os.environ.get(DEPRECATED_TOKEN_ENV, "").strip()
    if old and warn is not None:
        warn(f"{DEPRECATED_TOKEN_ENV} is deprecated; set {TOKEN_ENV} instead")
    return old or None


@dataclass(frozen=True)
class DataPlaneUrl:
    """An account's endpoint as the SDK wants it: the account root and the API surface to call."""

    root: str
    api_version: str

    @property
    def is_v1(self) -> bool:
        """True for the `/openai/v1` surface."""
        return self.api_version == V1

    @property
    def v1_base_url(self) -> str:
        """The base URL of the `/openai/v1` surface."""
        return f"{self.root}/openai/v1/"


def split_endpoint(url: str, api_version: str = DEFAULT_API_VERSION) -> DataPlaneUrl:
    """Any spelling of an endpoint users copy (`https://NAME.openai.azure.com`, `.../openai`,
    `.../openai/v1`, with or without a trailing slash or query) as the account root and its API surface:
    a URL ending in `/openai/v1` selects the v1 surface whatever `api_version` says."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    version = api_version
    if path.endswith("/openai/v1"):
        path, version = path[: -len("/openai/v1")], V1
    elif path.endswith("/openai"):
        path = path[: -len("/openai")]
    root = urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")
    return DataPlaneUrl(root, version)


def account_subdomain(account: AccountConfig) -> str:
    """The custom subdomain a stack's account gets (its own, else the account name)."""
    return account.custom_subdomain or account.name


def account_endpoint(account: AccountConfig) -> str:
    """A stack's account data-plane endpoint on Azure."""
    return f"https://{account_subdomain(account)}.openai.azure.com/"


def is_url(value: str) -> bool:
    """True when `value` looks like an http(s) endpoint."""
    return value.strip().startswith(("http://", "https://"))


def quiet_azure_logging() -> None:
    """Silence azure-identity's and azure-core's own warnings: ftstack says what failed in one line."""
    for name in ("azure", "azure.identity", "azure.core"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def is_credential_error(error: BaseException) -> bool:
    """True for azure-identity's "no credential" failures, wherever they surface."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"ClientAuthenticationError", "CredentialUnavailableError"})
