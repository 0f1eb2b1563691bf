"""A credential that outlives any training: GitHub OIDC assertions fetched afresh on every token refresh
(a fake GitHub token service on loopback, a fake Entra ID token exchange as the credential's transport), and
calls that a credential failure stopped sent again with backoff up to the wait bound."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import HttpRequest, HttpTransport
from azure.core.rest import HttpResponse
from azure.identity import ClientAssertionCredential, CredentialUnavailableError, DefaultAzureCredential
from fine_tuning_harness import Emulator, job_props

from components.fine_tuning_job import _guarded, _runtime
from ftstack.data_plane import COGNITIVE_SERVICES_SCOPE as COGNITIVE_SCOPE
from ftstack.fine_tuning import lifecycle
from ftstack.fine_tuning.credentials import (
    FIRST_TOKEN_RETRY_SECONDS,
    TOKEN_EXCHANGE_AUDIENCE,
    CredentialRetry,
    credential_from_environment,
    github_oidc_assertion,
)
from ftstack.fine_tuning.inputs import spec_from_props
from ftstack.fine_tuning.runtime import Runtime

TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "00000000-0000-0000-0000-0000000000bb"
RUNTIME_TOKEN = "github-runtime-token"


@dataclass
class OidcService:
    """A fake GitHub Actions OIDC token service: each request gets a new token, recorded with its query."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0


@pytest.fixture
def oidc() -> Iterator[OidcService]:
    service = OidcService()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            service.requests.append({"query": query, "authorization": self.headers.get("Authorization")})
            if service.fail_next:
                service.fail_next -= 1
                self.send_response(503)
                self.end_headers()
                return
            body = json.dumps({"value": f"oidc-assertion-{len(service.requests)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # GitHub's URL already carries a query (api-version); the audience is appended to it.
    service.url = f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0"
    yield service
    server.shutdown()
    server.server_close()


def github_env(oidc: OidcService) -> dict[str, str]:
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": oidc.url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": RUNTIME_TOKEN,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_TENANT_ID": TENANT,
    }


class FakeEntra(HttpTransport):  # type: ignore[misc]
    """Entra ID's token endpoint: records each client assertion and answers with a short-lived token."""

    def __init__(self, expires_in: int = 60):
        self.assertions: list[str] = []
        self.expires_in = expires_in

    def send(self, request: HttpRequest, **_: Any) -> HttpResponse:
        from azure.core.pipeline.transport._requests_basic import RequestsTransportResponse

        body = request.data if isinstance(getattr(request, "data", None), dict) else None
        if body is None:
            raw = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
            body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        self.assertions.append(str(body["client_assertion"]))
        import requests

        answer = requests.Response()
        answer.status_code = 200
        answer.headers["Content-Type"] = "application/json"
        answer._content = json.dumps(
            {
                "access_token": f"entra-token-{len(self.assertions)}",
                "expires_in": self.expires_in,
                "token_type": "Bearer",
            }
        ).encode()
        return RequestsTransportResponse(request, answer)  # type: ignore[no-any-return]

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def test_github_actions_gets_a_client_assertion_credential_and_elsewhere_the_default_chain(
    oidc: OidcService,
) -> None:
    assert isinstance(credential_from_environment(github_env(oidc)), ClientAssertionCredential)
    assert isinstance(credential_from_environment({}), DefaultAzureCredential)
    # Without the identity to exchange the token for, GitHub's token alone is not enough.
    partial = {k: v for k, v in github_env(oidc).items() if k != "AZURE_CLIENT_ID"}
    assert isinstance(credential_from_environment(partial), DefaultAzureCredential)


def test_the_assertion_is_a_fresh_github_oidc_token_for_the_token_exchange_audience(
    oidc: OidcService,
) -> None:
    first = github_oidc_assertion(github_env(oidc))
    second = github_oidc_assertion(github_env(oidc))

    assert (first, second) == ("oidc-assertion-1", "oidc-assertion-2")
    for request in oidc.requests:
        assert request["query"] == {"api-version": ["2.0"], "audience": [TOKEN_EXCHANGE_AUDIENCE]}
        assert request["authorization"] == f"bearer {RUNTIME_TOKEN}"


def test_every_token_refresh_exchanges_a_new_oidc_assertion(oidc: OidcService) -> None:
    # Entra ID tokens that live one second stand for the hour-long ones of a real deploy: each time one has
    # expired, the refresh must carry a new assertion (GitHub's OIDC tokens live minutes).
    entra = FakeEntra(expires_in=1)
    credential = credential_from_environment(github_env(oidc), transport=entra)

    tokens = []
    for _ in range(3):
        tokens.append(credential.get_token(COGNITIVE_SCOPE).token)
        time.sleep(1.1)

    assert tokens == ["entra-token-1", "entra-token-2", "entra-token-3"]
    assert entra.assertions == ["oidc-assertion-1", "oidc-assertion-2", "oidc-assertion-3"]


def test_a_github_token_service_failure_is_a_credential_error_the_wait_retries(oidc: OidcService) -> None:
    oidc.fail_next = 1
    credential = credential_from_environment(github_env(oidc), transport=FakeEntra())
    with pytest.raises(ClientAuthenticationError, match="could not get a GitHub OIDC token"):
        credential.get_token(COGNITIVE_SCOPE)
    assert credential.get_token(COGNITIVE_SCOPE).token == "entra-token-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Flaky:
    """A service whose `retrieve_job` fails with a credential error on the calls numbered in `failing`."""

    def __init__(self, failing: set[int], error: Exception | None = None):
        self.failing = failing
        self.calls = 0
        self.error = error or ClientAuthenticationError(message="AADSTS700024: Client assertion is expired")

    def retrieve_job(self, job_id: str) -> dict[str, Any]:
        self.calls += 1
        if self.calls in self.failing:
            raise self.error
        return {"id": job_id, "status": "running"}


def runtime(bound: float) -> tuple[Runtime, FakeClock, list[str]]:
    clock = FakeClock()
    lines: list[str] = []
    rt = Runtime(progress=lines.append, clock=clock, sleep=clock.sleep)
    rt.start(bound)
    return rt, clock, lines


def test_an_expired_token_while_waiting_is_retried_with_backoff_and_a_progress_line() -> None:
    rt, clock, lines = runtime(3600)
    service = CredentialRetry(Flaky({2, 3, 4}), rt)
    assert service.retrieve_job("ftjob-1")["status"] == "running"

    assert service.retrieve_job("ftjob-1")["status"] == "running"

    assert clock.now == pytest.approx(2 + 4 + 8)  # backoff between the three failed attempts
    assert len(lines) == 3
    assert "retrieve_job: the Azure credential gave no token (AADSTS700024" in lines[0]
    assert "trying again in 2 s" in lines[0]


def test_credential_errors_are_retried_only_up_to_the_wait_bound() -> None:
    rt, clock, _ = runtime(30)
    service = CredentialRetry(Flaky({2, 3, 4, 5, 6, 7, 8, 9}), rt)
    service.retrieve_job("ftjob-1")

    with pytest.raises(ClientAuthenticationError):
        service.retrieve_job("ftjob-1")
    assert clock.now == pytest.approx(30)


def test_a_credential_that_never_gave_a_token_is_retried_briefly_not_for_the_whole_bound() -> None:
    rt, clock, _ = runtime(12 * 3600)
    with pytest.raises(ClientAuthenticationError):
        CredentialRetry(Flaky(set(range(1, 1000))), rt).retrieve_job("ftjob-1")
    assert clock.now == pytest.approx(FIRST_TOKEN_RETRY_SECONDS)


def test_no_configured_credential_at_all_fails_at_once() -> None:
    rt, clock, _ = runtime(3600)
    missing = CredentialUnavailableError(message="no credential")
    with pytest.raises(CredentialUnavailableError):
        CredentialRetry(Flaky({1}, missing), rt).retrieve_job("ftjob-1")
    assert clock.now == 0


class ExpiringTokens:
    """The emulator's client with a credential that fails `failures` times once the job is running."""

    def __init__(self, client: Any, failures: int):
        self.client = client
        self.failures = failures
        self.raised = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def retrieve_job(self, job_id: str) -> dict[str, Any] | None:
        job: dict[str, Any] | None = self.client.retrieve_job(job_id)
        if job is not None and job.get("status") == "running" and self.raised < self.failures:
            self.raised += 1
            raise ClientAuthenticationError(
                message="AADSTS700024: Client assertion is not within its valid time"
            )
        return job


def test_a_create_whose_token_expires_mid_training_still_ends_with_the_model(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "ftstack.fine_tuning.credentials.CREDENTIAL_PACING", lifecycle.Pacing(0.05, 1.0, 0.05)
    )
    spec = spec_from_props(job_props(emulator.url, hyperparameters={"n_epochs": 3}))
    rt = _runtime(spec.resource_name)
    lines: list[str] = []
    rt.progress = lines.append
    client = emulator.client()
    flaky = ExpiringTokens(client, failures=2)

    state = lifecycle.create(_guarded(flaky, rt), spec, rt)  # type: ignore[arg-type]

    assert state.status == "succeeded"
    assert state.fine_tuned_model
    assert flaky.raised == 2
    assert sum("the Azure credential gave no token" in line for line in lines) == 2
    client.close()


def test_the_providers_client_takes_its_entra_tokens_from_the_github_oidc_credential(
    oidc: OidcService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.core.credentials import AccessToken, AccessTokenInfo

    from ftstack.fine_tuning import client

    def exchanged(self: ClientAssertionCredential, *scopes: str, **_: Any) -> Any:
        assertion = self._func()  # the assertion the exchange would send (azure-identity's callback)
        return AccessTokenInfo(f"entra-for-{assertion}", int(time.time()) + 3600)

    monkeypatch.setattr(ClientAssertionCredential, "get_token_info", exchanged)
    monkeypatch.setattr(
        ClientAssertionCredential,
        "get_token",
        lambda self, *s, **k: AccessToken(exchanged(self).token, exchanged(self).expires_on),
    )
    monkeypatch.delenv("FTSTACK_TOKEN", raising=False)
    monkeypatch.delenv("FTSTACK_FINE_TUNING_TOKEN", raising=False)
    for name, value in github_env(oidc).items():
        monkeypatch.setenv(name, value)

    tokens = client._token_provider("https://acme.openai.azure.com")

    assert tokens().startswith("entra-for-oidc-assertion-")
