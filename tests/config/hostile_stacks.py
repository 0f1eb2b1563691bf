"""Projects with one hostile stack file, and the real `ftstack` CLI run on them in this process.

In-process runs keep a suite of hundreds of files within seconds; FTSTACK_DEBUG=1 makes the CLI re-raise
anything unexpected, so a traceback fails the test instead of becoming an "unexpected error" line.
"""

from __future__ import annotations

import importlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ftstack.cli.app import DEBUG_ENV, run

ROOT = Path(__file__).resolve().parents[2]
DEV_STACK = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8")
PROJECT_YAML = b"name: ftstack\nruntime: python\nstackConfigDir: stacks\n"
STACK = "t"
STACK_SOURCE = f"stacks/Pulumi.{STACK}.yaml"
# A hang guard, not a speed target (timed unit tests flake on a loaded machine): an alias bomb or a
# pathological number used to take minutes. The one-second figure is printed by the benchmark in
# test_malformed_stack_suite.py.
SECONDS = 15.0
TARGET_SECONDS = 1.0


def project(
    folder: Path, stack_file: bytes, project_file: bytes = PROJECT_YAML, with_examples: bool = True
) -> Path:
    """A project in `folder`: Pulumi.yaml, the example data, and `stack_file` as stacks/Pulumi.t.yaml."""
    (folder / "stacks").mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_bytes(project_file)
    (folder / "stacks" / f"Pulumi.{STACK}.yaml").write_bytes(stack_file)
    if with_examples and not (folder / "examples").exists():
        shutil.copytree(ROOT / "examples", folder / "examples")
    return folder


def dev_with(old: str, new: str) -> bytes:
    """The shipped dev stack file with its first `old` replaced by `new`."""
    assert old in DEV_STACK, old
    return DEV_STACK.replace(old, new, 1).encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    """What one CLI run did: exit code, stderr lines, and how long it took."""

    code: int
    lines: list[str]
    stdout: str
    seconds: float


def ftstack(
    args: list[str], folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Outcome:
    """Run `ftstack <args> -s t --project-dir <folder>` in this process."""
    monkeypatch.setenv(DEBUG_ENV, "1")
    monkeypatch.delenv("FTSTACK_BASE_REF", raising=False)
    capsys.readouterr()
    start = time.perf_counter()
    code = run([*args, "-s", STACK, "--project-dir", str(folder)])
    seconds = time.perf_counter() - start
    captured = capsys.readouterr()
    return Outcome(code, captured.err.splitlines(), captured.out, seconds)


def validate(folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """`ftstack config validate` on the project's stack."""
    return ftstack(["config", "validate"], folder, capsys, monkeypatch)


def check(folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """`ftstack check --format json` on the project's stack (its modules imported first: the time bound is
    about reading the file, not about importing Pulumi once per process)."""
    for module in ("ftstack.check.runner", "ftstack.check.markdown", "ftstack.cli.check"):
        importlib.import_module(module)
    return ftstack(["check", "--format", "json"], folder, capsys, monkeypatch)


def assert_one_clear_refusal(outcome: Outcome, *words: str, max_chars: int = 400) -> str:
    """Exit 2, one `error:` line naming the stack file (and `words`), short, within the time bound."""
    assert outcome.code == 2, outcome
    assert len(outcome.lines) == 1, outcome.lines
    line = outcome.lines[0]
    assert line.startswith("error: "), line
    assert STACK_SOURCE in line or "Pulumi.yaml" in line, line
    assert "Traceback" not in line and "unexpected" not in line, line
    assert len(line) <= max_chars, line[:500]
    for word in words:
        assert word in line, line
    assert outcome.seconds < SECONDS, outcome.seconds
    return line
