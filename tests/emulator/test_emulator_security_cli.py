"""`ftstack emulator` always has a token (a random one printed once and kept in a 0600 file, or one from the
environment or a file, never only on the command line), refuses a state of the wrong shape in one line,
says what listening beyond the loopback exposes, and cuts off clients that stall."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.emulator.server import running_server
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.token_source import TOKEN_ENV, TokenSourceError, resolve_token, write_private

pytestmark = pytest.mark.e2e

COMMAND = [sys.executable, "-c", "from ftstack.cli.app import main; main()", "emulator", "--port", "0"]


@contextmanager
def emulator_command(*options: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """`ftstack emulator` in its own process; yields its URL and its stderr lines up to the banner."""
    environment = {k: v for k, v in os.environ.items() if k != TOKEN_ENV} | (env or {})
    process = subprocess.Popen(
        [*COMMAND, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.stderr.read()
        lines = [process.stderr.readline()]
        while not lines[-1].startswith("Azure OpenAI fine-tuning emulator on"):
            lines.append(process.stderr.readline())
        if "--token" not in options and TOKEN_ENV not in (env or {}):
            lines.append(process.stderr.readline())  # the token line
        yield url, lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def _status(url: str, token: str | None) -> int:
    headers = {"api-key": token} if token else {}
    return httpx.get(f"{url}/emulator/stats", headers=headers, timeout=5).status_code


def test_without_a_token_a_random_one_is_printed_once_kept_private_and_reused(tmp_path: Path) -> None:
    with emulator_command("--state-dir", str(tmp_path)) as (url, lines):
        token_file = tmp_path / "token"
        token = token_file.read_text(encoding="utf-8").strip()
        statuses = (_status(url, None), _status(url, "guessed"), _status(url, token))
    with emulator_command("--state-dir", str(tmp_path)) as (again, later_lines):
        restarted = _status(again, token)

    assert statuses == (401, 401, 200)
    assert len(token) >= 32 and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert sum(token in line for line in lines) == 1 and str(token_file) in lines[-1]
    assert restarted == 200 and not any(token in line for line in later_lines)


def test_the_token_can_come_from_the_environment_so_it_stays_out_of_ps(tmp_path: Path) -> None:
    with emulator_command(env={TOKEN_ENV: "from-the-environment"}) as (url, lines):
        statuses = (_status(url, None), _status(url, "from-the-environment"))
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout

    assert statuses == (401, 200)
    assert "from-the-environment" not in ps and not any("from-the-environment" in line for line in lines)


def test_listening_beyond_the_loopback_says_what_it_exposes() -> None:
    with emulator_command("--host", "0.0.0.0", "--token", "t") as (_, lines):
        warning = lines[0]

    assert warning.startswith("warning: listening on 0.0.0.0")
    assert "training files" in warning and "admin routes" in warning


def test_a_token_file_is_read_or_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    existing = tmp_path / "existing"
    existing.write_text("from-a-file\nignored\n", encoding="utf-8")
    created = tmp_path / "new" / "token"

    read = resolve_token(None, existing, None)
    made = resolve_token(None, created, None)

    assert (read.value, read.generated) == ("from-a-file", False)
    assert made.generated and created.read_text(encoding="utf-8").strip() == made.value
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    assert resolve_token("given", existing, None).value == "given"
    monkeypatch.setenv(TOKEN_ENV, "env-token")
    assert resolve_token(None, existing, None).value == "env-token"


def test_a_token_file_with_spaces_or_nothing_in_it_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for text in ("\n", "two words\n"):
        (tmp_path / "token").write_text(text, encoding="utf-8")
        with pytest.raises(TokenSourceError, match="--token-file"):
            resolve_token(None, tmp_path / "token", None)


def test_writing_the_token_replaces_a_planted_symlink_instead_of_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    (tmp_path / "token").symlink_to(victim)

    write_private(tmp_path / "token", "secret\n")

    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (tmp_path / "token").is_symlink() and (tmp_path / "token").read_text() == "secret\n"


@pytest.mark.parametrize("content", ["[]", "null", '"a string"', "42"])
def test_a_legacy_state_of_the_wrong_shape_is_one_line_and_exit_2(tmp_path: Path, content: str) -> None:
    (tmp_path / "state.json").write_text(content, encoding="utf-8")

    result = CliRunner().invoke(
        app, ["emulator", "--port", "0", "--state-dir", str(tmp_path), "--token", "t"]
    )

    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "--state-dir" in result.stderr


@pytest.mark.parametrize("scale", ["inf", "nan"])
def test_an_infinite_or_nan_time_scale_is_a_usage_error(scale: str) -> None:
    result = CliRunner().invoke(app, ["emulator", "--time-scale", scale, "--token", "t"])

    assert result.exit_code == 2 and "--time-scale" in result.stderr


# --- slow clients ----------------------------------------------------------------------------------------


@contextmanager
def protected_server(settings: EmulatorSettings) -> Iterator[int]:
    """The emulator as `ftstack emulator` serves it (running_server); yields its port."""
    with running_server(settings) as url:
        port = urlsplit(url).port
        assert port is not None
        yield port


def _answer_after_stalling(port: int, sent: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(sent)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received, time.monotonic() - started


def test_a_client_that_never_finishes_its_headers_is_cut_off() -> None:
    with protected_server(EmulatorSettings(token="t", client_timeout_seconds=0.5)) as port:
        received, took = _answer_after_stalling(
            port, b"GET /openai/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        )

    assert received == b"" and took < 3.0


def test_a_body_that_stalls_is_answered_408_and_closed() -> None:
    head = (
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\napi-key: t\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with protected_server(EmulatorSettings(token="t", client_timeout_seconds=0.5)) as port:
        received, took = _answer_after_stalling(port, head + b'{"model":')

    assert received.startswith(b"HTTP/1.1 408") and b"requestTimeout" in received and took < 3.0
