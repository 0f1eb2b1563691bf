"""`ftstack emulator`: prints the URL it serves on, refuses bad options with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from ftstack.cli.app import app


def test_the_command_prints_its_url_and_serves_there() -> None:
    options = ["--port", "0", "--time-scale", "600", "--region", "Sweden Central"]
    process = subprocess.Popen(
        [sys.executable, "-c", "from ftstack.cli.app import main; main()", "emulator", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FTSTACK_EMULATOR_TOKEN": "cli-token"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        health = httpx.get(f"{url}/emulator/health", headers={"api-key": "cli-token"}, timeout=5).json()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert health == {"status": "ok", "region": "swedencentral", "time_scale": 600.0}


def test_an_unknown_region_is_a_usage_error_naming_the_known_ones() -> None:
    result = CliRunner().invoke(app, ["emulator", "--region", "atlantis"])

    assert result.exit_code == 2
    assert "unknown region 'atlantis'" in result.stderr and "swedencentral" in result.stderr


def test_a_malformed_fault_is_a_usage_error_showing_the_syntax() -> None:
    result = CliRunner().invoke(app, ["emulator", "--fault", "route=POST /files"])

    assert result.exit_code == 2
    assert "kind" in result.stderr and "route=POST /files,kind=429" in result.stderr


def test_a_state_dir_holding_something_else_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")

    result = CliRunner().invoke(app, ["emulator", "--port", "0", "--state-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert "--state-dir" in result.stderr and "state.json" in result.stderr
