"""The local Azure as a process: server.json, the token file, a clean stop on SIGTERM, and state that
survives a restart on another port."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from local_azure_harness import (
    account_id,
    azure_client,
    client,
    create_account,
    deployment_body,
    deployment_id,
    server_process,
    training_file,
)

from ftstack.local.server import resolve_token


def test_the_server_announces_itself_in_server_json_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with server_process(home) as server:
        token_mode = stat.S_IMODE((home / "token").stat().st_mode)
        health = httpx.get(f"{server.url}/local/health", headers={"Authorization": f"Bearer {server.token}"})
        code = server.stop()
    assert server.info == {"url": server.url, "pid": server.process.pid, "token_file": str(home / "token")}
    assert server.url.startswith("http://127.0.0.1:")
    assert token_mode == 0o600
    assert health.json() == {"ok": True}
    assert code == 0
    assert not (home / "server.json").exists()


@pytest.mark.parametrize("ending", ["sigterm", "crash"])
def test_accounts_files_and_deployments_survive_a_restart_on_another_port(
    tmp_path: Path, ending: str
) -> None:
    home = tmp_path / "home"
    with server_process(home) as first:
        with client(first.url, first.token) as http:
            create_account(http, "acct")
            sdk = azure_client(first.url, first.token, "acct")
            with training_file(tmp_path / "train.jsonl").open("rb") as handle:
                file_id = sdk.files.create(file=handle, purpose="fine-tune").id
            http.put(
                f"/arm{deployment_id('acct', 'chat')}",
                json=deployment_body("gpt-4o-mini", version="2024-07-18"),
            ).raise_for_status()
        if ending == "crash":
            first.process.kill()  # SIGKILL: nothing is saved at exit; what was acknowledged must be on disk
            first.process.wait(timeout=10)
            (home / "server.json").unlink()  # a crashed server leaves it behind; the next start replaces it
        else:
            assert first.stop() == 0

    with server_process(home) as second:
        with client(second.url, second.token) as http:
            account = http.get(f"/arm{account_id('acct')}")
        sdk = azure_client(second.url, second.token, "acct")
        files = [f.id for f in sdk.files.list()]
        reply = sdk.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
        second.stop()

    assert second.url != first.url
    assert second.token == first.token
    assert account.status_code == 200
    assert account.json()["properties"]["endpoint"] == f"{second.url}/accounts/acct/"
    assert files == [file_id]
    assert reply.model == "gpt-4o-mini-2024-07-18"


def test_the_token_comes_from_the_environment_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTSTACK_LOCAL_AZURE_TOKEN", "from-env")
    assert resolve_token(tmp_path) == "from-env"
    assert (tmp_path / "token").read_text().strip() == "from-env"


def test_a_generated_token_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTSTACK_LOCAL_AZURE_TOKEN", raising=False)
    first = resolve_token(tmp_path)
    assert len(first) >= 32
    assert resolve_token(tmp_path) == first
