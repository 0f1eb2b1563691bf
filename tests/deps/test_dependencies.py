"""What deploy runners install (the project's dependencies, no dev tool, no msrest) and what `make audit` says."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
PACKAGES = {package["name"]: package for package in LOCK["package"]}
DEV_TOOLS = {
    "pytest",
    "hypothesis",
    "ruff",
    "mypy",
    "pip-audit",
    "psutil",
    "check-jsonschema",
    "pytest-xdist",
}


def _runtime_closure() -> set[str]:
    """Every locked package `uv sync --no-default-groups` installs: ftstack's dependencies, transitively."""
    seen: set[str] = set()
    pending = [dep["name"] for dep in PACKAGES["ftstack"].get("dependencies", [])]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending += [dep["name"] for dep in PACKAGES[name].get("dependencies", [])]
    return seen


def test_the_deprecated_msrest_is_not_in_the_lock() -> None:
    assert "msrest" not in PACKAGES
    assert "requests-oauthlib" not in PACKAGES  # it came only through msrest


def test_isodate_stays_for_the_cognitive_services_serializer() -> None:
    # azure-mgmt-cognitiveservices declares msrest but imports isodate, which only msrest brought in.
    assert "isodate" in _runtime_closure()


def test_a_runtime_install_holds_no_dev_tool() -> None:
    closure = _runtime_closure()
    assert closure.isdisjoint(DEV_TOOLS), closure & DEV_TOOLS
    assert {"pulumi", "pulumi-azure-native", "pulumi-policy", "openai", "pydantic"} <= closure


def test_the_dev_tools_are_in_the_dev_group_only() -> None:
    dev = {dep["name"] for dep in PACKAGES["ftstack"]["dev-dependencies"]["dev"]}
    assert {"pytest", "hypothesis", "ruff", "mypy", "pip-audit"} <= dev


def _audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "scripts" / "audit_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SKIPPED = {
    "name": "httpx",
    "version": "1",
    "skip_reason": "Dependency not found on PyPI and could not be audited",
}


@pytest.mark.parametrize(
    ("results", "code", "words"),
    [
        ({"pypi": [SKIPPED, SKIPPED], "osv": []}, 3, "no vulnerability database is reachable"),
        ({"pypi": [{"name": "a", "version": "1", "vulns": []}]}, 0, "1 of 1 locked packages audited"),
        ({"pypi": [{"name": "a", "version": "1", "vulns": [{"id": "GHSA-1"}]}]}, 1, "1 with known"),
        ({"pypi": [{"name": "a", "version": "1", "vulns": []}, SKIPPED]}, 3, "1 could not be audited"),
        ({"pypi": [SKIPPED], "osv": [{"name": "a", "version": "1", "vulns": []}]}, 0, "against osv"),
    ],
)
def test_make_audit_never_calls_an_audit_of_nothing_clean(
    results: dict[str, list[dict[str, object]]],
    code: int,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = _audit_script()
    monkeypatch.setattr(script, "audit", lambda _reqs, service: (results.get(service, []), "unreachable"))
    assert script.main(Path("requirements.txt")) == code
    captured = capsys.readouterr()
    assert words in captured.out + captured.err


def test_make_audit_exports_the_lock_and_runs_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\naudit: $(STAMP)\n" in makefile
    assert "export --frozen --all-groups" in makefile and "scripts/audit_lock.py" in makefile
