"""The emulator's memory stays bounded under hostile sizes: its RSS stays under 300 MB while a large upload
streams to disk and chat is asked for a huge `n` at the same time. The 512 MB case is a benchmark
(`pytest -m benchmark -s` prints the figures); a 64 MB case runs with `make test`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from emulator_harness import support_examples

pytestmark = pytest.mark.e2e

RSS_LIMIT_BYTES = 300 * 1024 * 1024
TOKEN = "memory-token"
HEADERS = {"api-key": TOKEN}


def _training_file(path: Path, size: int) -> Path:
    """A valid supervised training file of about `size` bytes (under the 512 MB cap)."""
    block = "".join(json.dumps(e) + "\n" for e in support_examples(360)).encode()
    with path.open("wb") as handle:
        written = 0
        while written + len(block) <= size:
            handle.write(block)
            written += len(block)
    return path


def _peak_rss_while_uploading(upload: Path, until_validated: bool) -> tuple[int, int, int]:
    """Run `ftstack emulator`, upload `upload` while asking chat for n=1,000,000 over and over; the peak
    RSS of the emulator process during the upload, the peak with its worker processes (until the file is
    validated when `until_validated`), and the number of huge-n requests refused (400) meanwhile."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from ftstack.cli.app import main; main()", "emulator", "--port", "0",
         "--time-scale", "600", "--token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    watched = psutil.Process(process.pid)
    peaks = {"upload": 0, "all": 0}
    phase = {"name": "upload", "stop": False}
    refused = 0

    def sample() -> None:
        while not phase["stop"]:
            try:
                own = watched.memory_info().rss
                workers = sum(c.memory_info().rss for c in watched.children(recursive=True))
            except psutil.Error:
                return
            if phase["name"] == "upload":
                peaks["upload"] = max(peaks["upload"], own)
            peaks["all"] = max(peaks["all"], own + workers)
            time.sleep(0.02)

    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def ask_for_huge_n() -> None:
            nonlocal refused
            body = {
                "model": "gpt-4o-mini-2024-07-18",
                "messages": [{"role": "user", "content": "hi"}],
                "n": 10**6,
            }
            with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http:
                while phase["name"] == "upload":
                    refused += http.post("/openai/v1/chat/completions", json=body).status_code == 400

        asker = threading.Thread(target=ask_for_huge_n, daemon=True)
        asker.start()
        with upload.open("rb") as handle:
            answer = httpx.post(
                f"{url}/openai/v1/files",
                headers=HEADERS,
                data={"purpose": "fine-tune"},
                files={"file": ("big.jsonl", handle)},
                timeout=600,
            )
        phase["name"] = "validate"
        asker.join()
        assert answer.status_code == 200, answer.text
        file_id = answer.json()["id"]
        deadline = time.monotonic() + 300
        while until_validated and time.monotonic() < deadline:
            status = httpx.get(f"{url}/openai/v1/files/{file_id}", headers=HEADERS).json()["status"]
            if status in ("processed", "error"):
                break
            time.sleep(0.2)
        phase["stop"] = True
        sampler.join()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return peaks["upload"], peaks["all"], refused


def _report(size: int, upload_peak: int, all_peak: int, refused: int) -> None:
    print(
        f"\nupload of {size / 2**20:.0f} MiB with chat n=1,000,000 asked {refused} times: emulator RSS peak "
        f"{upload_peak / 2**20:.0f} MiB while streaming; with its validation worker processes, peak "
        f"{all_peak / 2**20:.0f} MiB"
    )


def test_rss_stays_under_300_mb_while_a_64_mb_upload_streams_and_chat_is_asked_for_huge_n(
    tmp_path: Path,
) -> None:
    size = 64 * 2**20
    upload_peak, all_peak, refused = _peak_rss_while_uploading(
        _training_file(tmp_path / "big.jsonl", size), False
    )
    _report(size, upload_peak, all_peak, refused)

    assert upload_peak < RSS_LIMIT_BYTES and refused > 0


@pytest.mark.benchmark
def test_rss_stays_under_300_mb_while_a_512_mb_upload_streams_and_chat_is_asked_for_huge_n(
    tmp_path: Path,
) -> None:
    size = 512 * 2**20 - 2**20
    upload_peak, all_peak, refused = _peak_rss_while_uploading(
        _training_file(tmp_path / "big.jsonl", size), True
    )
    _report(size, upload_peak, all_peak, refused)

    assert upload_peak < RSS_LIMIT_BYTES and refused > 0
