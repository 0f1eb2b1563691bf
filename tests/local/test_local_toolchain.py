"""Getting the Pulumi CLI: a user's own wins, and without a CLI or Go the error says what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FTSTACK = Path(sys.executable).with_name("ftstack")


def _path_without(*names: str) -> str:
    """PATH without the folders holding any of `names`."""
    folders = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(f for f in folders if not any((Path(f) / n).exists() for n in names))


def test_without_a_pulumi_cli_or_go_local_commands_say_what_to_install(tmp_path: Path):
    env = {**os.environ, "PATH": _path_without("go", "pulumi"), "FTSTACK_TOOLS_DIR": str(tmp_path / "tools")}
    done = subprocess.run(
        [str(FTSTACK), "local", "preview", "--stack", "dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "install Pulumi v3 or Go 1.25+" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_compatible_pulumi_on_path_is_used_instead_of_building_one(tmp_path: Path):
    own = tmp_path / "own-bin"
    own.mkdir()
    fake = own / "pulumi"
    fake.write_text("#!/bin/sh\necho v3.250.0\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{own}{os.pathsep}{_path_without('go', 'pulumi')}",
        "FTSTACK_TOOLS_DIR": str(tmp_path / "tools"),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "get-pulumi.sh")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(own)
    assert not (tmp_path / "tools").exists()
