"""Helpers of the local Azure tests: ARM ids, an authenticated client, accounts, training a model on an
account's data plane with the real openai SDK, and starting the server as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai

from ftstack.local.server import RunningLocalAzure

SUB = "00000000-0000-0000-0000-0000000000aa"
API_VERSION = "2025-04-01-preview"
ROOT = Path(__file__).resolve().parents[2]

ANSWERS = [
    ("reset my router", "Hold the recessed reset button for ten seconds until the light blinks amber."),
    ("pay my bill", "Go to Account > Billing in the Wave app and choose Pay now."),
    ("report an outage", "Open Support > Outages to see known outages or report a new one."),
    ("upgrade my plan", "Open Account > Plan and pick a faster plan; the change applies at once."),
]


def rg_id(group: str = "rg") -> str:
    """A resource group id in the local subscription."""
    return f"/subscriptions/{SUB}/resourceGroups/{group}"


def account_id(name: str, group: str = "rg") -> str:
    """A Cognitive Services account id."""
    return f"{rg_id(group)}/providers/Microsoft.CognitiveServices/accounts/{name}"


def deployment_id(account: str, name: str, group: str = "rg") -> str:
    """A deployment id under an account."""
    return f"{account_id(account, group)}/deployments/{name}"


def purge_path(name: str, location: str, group: str = "rg") -> str:
    """The ARM path that purges a soft-deleted account."""
    return (
        f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/{location}/resourceGroups/"
        f"{group}/deletedAccounts/{name}"
    )


def client(url: str, token: str) -> httpx.Client:
    """An HTTP client with the bearer token."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def account_body(location: str, subdomain: str | None = None, **properties: Any) -> dict[str, Any]:
    """An OpenAI account body as azure-native sends it."""
    props: dict[str, Any] = {"publicNetworkAccess": "Enabled", **properties}
    if subdomain is not None:
        props["customSubDomainName"] = subdomain
    return {"location": location, "kind": "OpenAI", "sku": {"name": "S0"}, "properties": props}


def deployment_body(model: str, sku: str = "Standard", version: str = "1") -> dict[str, Any]:
    """A deployment body serving `model`."""
    return {
        "sku": {"name": sku, "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
    }


def create_account(http: httpx.Client, name: str, location: str = "swedencentral", group: str = "rg") -> str:
    """Create the group (if needed) and an account whose subdomain is its name; returns its endpoint."""
    http.put(f"/arm{rg_id(group)}", json={"location": location}).raise_for_status()
    answer = http.put(f"/arm{account_id(name, group)}", json=account_body(location))
    answer.raise_for_status()
    return str(answer.json()["properties"]["endpoint"])


def azure_client(url: str, token: str, subdomain: str) -> openai.AzureOpenAI:
    """The openai SDK on an account's api-version surface, with the token as an Entra ID token."""
    return openai.AzureOpenAI(
        azure_endpoint=f"{url}/accounts/{subdomain}",
        api_version=API_VERSION,
        azure_ad_token=token,
        max_retries=0,
    )


def v1_client(url: str, token: str, subdomain: str) -> openai.OpenAI:
    """The openai SDK on an account's v1 surface."""
    return openai.OpenAI(base_url=f"{url}/accounts/{subdomain}/openai/v1", api_key=token, max_retries=0)


def training_file(path: Path, count: int = 20) -> Path:
    """A valid supervised training file of `count` examples."""
    lines = []
    for i in range(count):
        prompt, answer = ANSWERS[i % len(ANSWERS)]
        messages = [
            {"role": "system", "content": "You are a support assistant."},
            {"role": "user", "content": f"how do i {prompt}?" + (" please" if i >= len(ANSWERS) else "")},
            {"role": "assistant", "content": answer},
        ]
        lines.append(json.dumps({"messages": messages}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def advance(http: httpx.Client, seconds: float) -> None:
    """Jump the shared simulated clock."""
    http.post("/local/clock", json={"advance_seconds": seconds}).raise_for_status()


def upload(az: RunningLocalAzure, subdomain: str, path: Path) -> str:
    """Upload a fine-tune file to an account and wait (simulated) until it is processed; returns its id."""
    sdk = azure_client(az.url, az.token, subdomain)
    with path.open("rb") as handle:
        uploaded = sdk.files.create(file=handle, purpose="fine-tune")
    with client(az.url, az.token) as http:
        advance(http, 120)
    assert sdk.files.retrieve(uploaded.id).status == "processed"
    return uploaded.id


def train(az: RunningLocalAzure, subdomain: str, path: Path, model: str = "gpt-4o-mini-2024-07-18") -> str:
    """Train a model on the account's data plane to success; returns the fine-tuned model id."""
    sdk = azure_client(az.url, az.token, subdomain)
    file_id = upload(az, subdomain, path)
    job = sdk.fine_tuning.jobs.create(model=model, training_file=file_id)
    with client(az.url, az.token) as http:
        advance(http, 10**6)
    done = sdk.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded", done
    assert done.fine_tuned_model is not None
    return done.fine_tuned_model


def ask(sdk: openai.AzureOpenAI, deployment: str, prompt: str = "how do i pay my bill?") -> str:
    """The answer of a deployment to one question."""
    reply = sdk.chat.completions.create(model=deployment, messages=[{"role": "user", "content": prompt}])
    return reply.choices[0].message.content or ""


@dataclass
class ServerProcess:
    """A local Azure server started as `python -m ftstack.local.server`."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    info: dict[str, Any]

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


@contextmanager
def server_process(home: Path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """Start the server on `home` with an ephemeral port; yields once server.json appears."""
    info_file = home / "server.json"
    environment = {k: v for k, v in os.environ.items() if k != "FTSTACK_LOCAL_AZURE_TOKEN"} | (env or {})
    command = [sys.executable, "-m", "ftstack.local.server", "--home", str(home), "--port", "0"]
    process = subprocess.Popen([*command, "--time-scale", "600"], cwd=ROOT, env=environment)
    try:
        deadline = time.monotonic() + 30
        while not info_file.exists():
            assert process.poll() is None, f"the server exited with {process.returncode}"
            assert time.monotonic() < deadline, "the server did not write server.json"
            time.sleep(0.05)
        info = json.loads(info_file.read_text(encoding="utf-8"))
        token = Path(info["token_file"]).read_text(encoding="utf-8").strip()
        yield ServerProcess(process, str(info["url"]), token, info)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
