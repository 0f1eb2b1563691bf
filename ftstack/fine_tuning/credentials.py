"""An Entra ID credential that outlives any training, and retrying the calls a credential failure stopped.

In GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, which a job with
`permissions: id-token: write` gets, plus `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`) the credential is a
`ClientAssertionCredential` whose assertion callback asks GitHub for a fresh OIDC token every time Entra ID
needs one: a job's OIDC token lives minutes, the Azure CLI session `azure/login` makes from it cannot refresh
(Azure/azure-cli#28708), and a fine-tuning job trains for hours. Elsewhere it is `DefaultAzureCredential`
(environment, workload identity, managed identity, the Azure CLI...).

A token that cannot be had (Entra ID or GitHub's token service briefly down, a throttled exchange) raises
`azure.core.exceptions.ClientAuthenticationError` before any request is sent, so the call is safe to send
again: `CredentialRetry` does that with backoff, up to the operation's wait bound, with a progress line.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ftstack.fine_tuning.runtime import Pacing

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from ftstack.fine_tuning.runtime import Runtime

OIDC_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"
OIDC_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
CLIENT_ID_ENV = "AZURE_CLIENT_ID"
TENANT_ID_ENV = "AZURE_TENANT_ID"
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"
# The audience Entra ID's federated credentials expect (the one azure/login and azure-native ask for).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
OIDC_REQUEST_TIMEOUT_SECONDS = 30.0
# A credential that has never produced a token in this operation is most likely misconfigured (a wrong
# client id, no federated credential for this branch): it is retried this long, not for the whole bound.
FIRST_TOKEN_RETRY_SECONDS = 120.0
CREDENTIAL_PACING = Pacing(first=2.0, factor=2.0, longest=60.0)

T = TypeVar("T")


def github_oidc_configured(environ: Mapping[str, str] | None = None) -> bool:
    """True in a GitHub Actions job that may request OIDC tokens and names the identity to exchange them for."""
    env = os.environ if environ is None else environ
    return all(env.get(name) for name in (OIDC_URL_ENV, OIDC_TOKEN_ENV, CLIENT_ID_ENV, TENANT_ID_ENV))


def github_oidc_assertion(environ: Mapping[str, str] | None = None) -> str:
    """A fresh GitHub OIDC token for the Entra ID token exchange (ClientAuthenticationError when GitHub's
    token service does not give one)."""
    from azure.core.exceptions import ClientAuthenticationError

    env = os.environ if environ is None else environ
    url = env[OIDC_URL_ENV]
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    request = urllib.request.Request(
        f"{url}{joiner}audience={urllib.parse.quote(TOKEN_EXCHANGE_AUDIENCE, safe='')}",
        headers={"Authorization": f"bearer {env[OIDC_TOKEN_ENV]}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=OIDC_REQUEST_TIMEOUT_SECONDS) as answer:
            body: Any = json.loads(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ClientAuthenticationError(
            message=f"could not get a GitHub OIDC token from {OIDC_URL_ENV}: {error}"
        ) from error
    token = body.get("value") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ClientAuthenticationError(message="GitHub's OIDC token service answered without a token")
    return token


def credential_from_environment(environ: Mapping[str, str] | None = None, **options: Any) -> TokenCredential:
    """The credential the fine-tuning provider uses (for the Cognitive Services scope): GitHub OIDC client assertions in
    GitHub Actions (a fresh OIDC token on every refresh), else DefaultAzureCredential; `options` go to the
    credential (azure-core pipeline settings such as `transport`)."""
    env = dict(os.environ if environ is None else environ)
    if github_oidc_configured(env):
        from azure.identity import ClientAssertionCredential

        if env.get(AUTHORITY_ENV):
            options["authority"] = env[AUTHORITY_ENV]
        return ClientAssertionCredential(
            tenant_id=env[TENANT_ID_ENV],
            client_id=env[CLIENT_ID_ENV],
            func=lambda: github_oidc_assertion(env),
            **options,
        )
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(**options)


def is_retryable_credential_error(error: BaseException) -> bool:
    """True for a token that could not be had this time (ClientAuthenticationError); False when no credential
    is configured at all (CredentialUnavailableError: retrying cannot help)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return "ClientAuthenticationError" in names and "CredentialUnavailableError" not in names


class CredentialRetry:
    """A Service whose every call is sent again, with backoff and a progress line, while the credential
    fails to give a token: up to the runtime's wait bound once a token was had, else for
    FIRST_TOKEN_RETRY_SECONDS. A call that reached the service is never repeated here (a token failure
    happens before the request is sent)."""

    def __init__(self, service: Any, rt: Runtime):
        self._service = service
        self._rt = rt
        self._had_token = False
        self._first_failure: float | None = None

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._service, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._retrying(name, lambda: target(*args, **kwargs))

        return call

    def _retrying(self, name: str, fn: Callable[[], T]) -> T:
        intervals = CREDENTIAL_PACING.intervals()
        while True:
            try:
                result = fn()
            except Exception as error:
                if not is_retryable_credential_error(error) or not self._may_retry():
                    raise
                delay = min(next(intervals), max(0.0, self._window_left()))
                self._rt.progress(
                    f"{name}: the Azure credential gave no token ({_first_line(error)}); trying again in "
                    f"{delay:.0f} s (for up to {max(0.0, self._window_left()):.0f} s more)"
                )
                self._rt.pause(delay)
                continue
            self._had_token = True
            self._first_failure = None
            return result

    def _window_left(self) -> float:
        remaining = self._rt.remaining()
        if self._had_token:
            return remaining
        if self._first_failure is None:
            self._first_failure = self._rt.clock()
        return min(remaining, self._first_failure + FIRST_TOKEN_RETRY_SECONDS - self._rt.clock())

    def _may_retry(self) -> bool:
        return self._window_left() > 0


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (azure-identity's run to many lines)."""
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
