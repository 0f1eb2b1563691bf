"""Chat completions (and embeddings) through the `openai` SDK, for evaluation.

This module is the single place in evaluation and reporting where `openai` clients are opened (`open_sdk`):
the fine-tuning client (`ftstack/fine_tuning/client.py`) owns job submission, this one owns the calls that
ask a deployment for answers. Auth is a static bearer token when given (`--token`, `FTSTACK_TOKEN`; the
emulator accepts any), else Entra ID through `DefaultAzureCredential` for the Cognitive Services scope.
Retries: the SDK's own (429, 408, 409, 5xx and dropped connections, honouring Retry-After), then a bounded
outer retry that also honours Retry-After, so a long throttling spell slows the run instead of failing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from azure.core.exceptions import ClientAuthenticationError

from ftstack.credential_transport import require_https_for_entra
from ftstack.data_plane import (
    COGNITIVE_SERVICES_SCOPE,
    CREDENTIAL_HINT,
    DEFAULT_API_VERSION,
    quiet_azure_logging,
    split_endpoint,
)
from ftstack.evaluation.holdout import Message

SDK_MAX_RETRIES = 2
OUTER_ATTEMPTS = 3
MAX_RETRY_AFTER_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Endpoint:
    """Where the deployments live and how to authenticate; `token` None means Entra ID."""

    url: str
    token: str | None = None
    api_version: str = DEFAULT_API_VERSION


@dataclass(frozen=True)
class RequestParams:
    """Sampling parameters sent with every chat request; part of the answer cache key."""

    temperature: float = 0.0
    max_tokens: int = 256

    def to_json(self) -> dict[str, float | int]:
        """The parameters as JSON (also what the cache key hashes)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}


@dataclass(frozen=True)
class Answer:
    """One deployment's answer to one prompt, with what it cost."""

    text: str
    latency_seconds: float
    prompt_tokens: int
    completion_tokens: int


class RequestFailedError(Exception):
    """A request that did not produce an answer; `fatal` when retrying or continuing cannot help (auth, 404)."""

    def __init__(self, deployment: str, message: str, status: int | None = None, fatal: bool = False):
        super().__init__(f"{deployment}: {message}")
        self.deployment = deployment
        self.status = status
        self.fatal = fatal


def _token_provider(token: str | None, endpoint: str) -> Callable[[], str]:
    if token:
        return lambda: token
    require_https_for_entra(endpoint)  # never a real Azure token over plain http
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    quiet_azure_logging()

    provider: Callable[[], str] = get_bearer_token_provider(
        DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE
    )
    return provider


def open_sdk(endpoint: Endpoint, max_retries: int = SDK_MAX_RETRIES) -> openai.OpenAI:
    """An SDK client for `endpoint` with bearer-token auth: `openai.AzureOpenAI` on the versioned `/openai`
    surface, `openai.OpenAI` on `/openai/v1` (an endpoint ending in `/openai/v1` selects it)."""
    where = split_endpoint(endpoint.url, endpoint.api_version)
    timeout = openai.Timeout(REQUEST_TIMEOUT_SECONDS, connect=10.0)
    tokens = _token_provider(endpoint.token, where.root)
    if where.is_v1:
        return openai.OpenAI(
            base_url=where.v1_base_url, api_key=tokens, max_retries=max_retries, timeout=timeout
        )
    return openai.AzureOpenAI(
        azure_endpoint=where.root,
        api_version=where.api_version,
        azure_ad_token_provider=tokens,
        max_retries=max_retries,
        timeout=timeout,
    )


def _retry_after(error: openai.APIStatusError) -> float | None:
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = error.response.headers.get(header)
        if value is None:
            continue
        try:
            return min(MAX_RETRY_AFTER_SECONDS, max(0.0, float(value) / divisor))
        except ValueError:
            continue
    return None


def _is_retryable(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    details = inner if isinstance(inner, dict) else body
    return str(details.get("message") or error.message)


@dataclass
class ChatClient:
    """Asks deployments for chat answers and embeddings; safe to share between threads."""

    endpoint: Endpoint
    outer_attempts: int = OUTER_ATTEMPTS
    sdk_max_retries: int = SDK_MAX_RETRIES
    sleep: Callable[[float], None] = time.sleep
    _sdk: openai.OpenAI = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sdk = open_sdk(self.endpoint, self.sdk_max_retries)

    def close(self) -> None:
        """Release the HTTP connections."""
        self._sdk.close()

    def _with_retries(self, deployment: str, call: Callable[[], Any]) -> Any:
        for attempt in range(1, self.outer_attempts + 1):
            try:
                return call()
            except openai.APIStatusError as error:
                status = error.status_code
                if not _is_retryable(status):
                    hint = {
                        401: "the endpoint refused the credentials",
                        403: "access denied",
                        404: "no such deployment at this endpoint",
                    }.get(status, "request refused")
                    raise RequestFailedError(
                        deployment, f"{hint} (HTTP {status}: {_message(error)})", status, fatal=True
                    ) from error
                if attempt == self.outer_attempts:
                    raise RequestFailedError(
                        deployment, f"HTTP {status} after retries: {_message(error)}", status
                    ) from error
                self.sleep(_retry_after(error) or float(2 ** (attempt - 1)))
            except ClientAuthenticationError as error:
                raise RequestFailedError(deployment, CREDENTIAL_HINT, fatal=True) from error
            except openai.APIConnectionError as error:
                # The SDK has already retried the connection; an endpoint that stays unreachable will not
                # come back within the outer retry's seconds, and every other request would wait as long.
                raise RequestFailedError(
                    deployment, f"cannot reach {self.endpoint.url} ({error.message})", fatal=True
                ) from error
        raise AssertionError("unreachable: the loop returns or raises")

    def complete(self, deployment: str, messages: Sequence[Message], params: RequestParams) -> Answer:
        """The deployment's answer to `messages`; raises RequestFailedError when none could be had."""
        started = time.perf_counter()
        response = self._with_retries(
            deployment,
            lambda: self._sdk.chat.completions.create(
                model=deployment,
                messages=list(messages),  # type: ignore[arg-type]
                temperature=params.temperature,
                max_tokens=params.max_tokens,
            ),
        )
        latency = time.perf_counter() - started
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content if choice is not None else None) or ""
        usage = response.usage
        return Answer(
            text=text,
            latency_seconds=latency,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def embed(self, deployment: str, texts: Sequence[str]) -> list[list[float]]:
        """One embedding per text from the embeddings deployment, in order."""
        response = self._with_retries(
            deployment, lambda: self._sdk.embeddings.create(model=deployment, input=list(texts))
        )
        ordered = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]
