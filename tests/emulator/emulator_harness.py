"""Helpers of the emulator tests: training data on disk, waiting on simulated progress, admin calls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai

API_VERSION = "2025-04-01-preview"
KEY = "test-key"
TERMINAL = ("succeeded", "failed", "cancelled")

TOPICS = [
    ("reset my router", "Hold the recessed reset button for ten seconds until the light blinks amber."),
    ("change my wifi password", "Open the Wave app, go to Network > Wi-Fi and choose Change password."),
    ("enable parental controls", "In the Wave app, open Family > Parental controls and add a profile."),
    ("pay my bill", "Go to Account > Billing in the Wave app and choose Pay now."),
    ("cancel my subscription", "Call support or open Account > Plan > Cancel plan in the Wave app."),
    ("update the firmware", "Firmware updates install automatically overnight; restart to apply one now."),
    ("add a new device", "Open Devices > Add device and scan the code on the device's label."),
    ("find my account number", "Your account number is at the top of every bill and under Account."),
    ("report an outage", "Open Support > Outages to see known outages or report a new one."),
    ("move my service to a new address", "Open Account > Moving and enter your new address and date."),
    ("upgrade my plan", "Open Account > Plan and pick a faster plan; the change applies at once."),
    ("set up a guest network", "Open Network > Guest Wi-Fi, switch it on and share the QR code."),
]
SYSTEM = "You are Contoso Wave's support assistant. Answer in one short sentence."


def chat_example(prompt: str, answer: str) -> dict[str, Any]:
    """One supervised training example."""
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": answer},
        ]
    }


def support_examples(count: int) -> list[dict[str, Any]]:
    """`count` support-chat examples cycling through the topics with varied phrasings."""
    phrasings = ["how do i {t}?", "how do i {t}, please?", "can you tell me how to {t}?"]
    out = []
    for i in range(count):
        topic, answer = TOPICS[i % len(TOPICS)]
        out.append(chat_example(phrasings[(i // len(TOPICS)) % len(phrasings)].format(t=topic), answer))
    return out


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    """Write `lines` as JSONL; returns the path."""
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def azure_client(url: str, key: str = KEY, **kwargs: Any) -> openai.AzureOpenAI:
    """The Azure OpenAI SDK client of an emulator."""
    return openai.AzureOpenAI(azure_endpoint=url, api_key=key, api_version=API_VERSION, **kwargs)


def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy; its value, or AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def processed_file(client: openai.AzureOpenAI | openai.OpenAI, path: Path) -> Any:
    """Upload a training file and wait until its processing ends."""
    with path.open("rb") as handle:
        uploaded = client.files.create(file=handle, purpose="fine-tune")
    return wait_until(
        lambda: (f := client.files.retrieve(uploaded.id)).status in ("processed", "error") and f
    )


def finished_job(client: openai.AzureOpenAI | openai.OpenAI, job_id: str) -> Any:
    """Wait until a job reaches a terminal state; returns it."""
    return wait_until(lambda: (j := client.fine_tuning.jobs.retrieve(job_id)).status in TERMINAL and j)


def admin(url: str, method: str, path: str, body: Any = None, token: str = KEY) -> Any:
    """Call an `/emulator/...` admin route; returns the decoded JSON answer."""
    answer = httpx.request(method, url + path, json=body, headers={"api-key": token}, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None
