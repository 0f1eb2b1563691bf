"""Copy the ftstack core modules and data files the policy pack imports into `policies/vendor/`.

The pack must run from its own requirements (pulumi, pulumi-policy, pydantic, pyyaml) when it is published
(`pulumi policy publish policies`) and installed where the `ftstack` distribution is not. Its rules import
the capability matrix, the region table, the policy settings and the config schema from `ftstack`, the one
source of truth; this script copies exactly those modules, byte for byte, under `policies/vendor/ftstack/`,
and `policies/__main__.py` falls back to that copy when `ftstack` itself is not importable. The copy is
never edited by hand: `python scripts/sync_policy_pack.py` rewrites it, `--check` (and
tests/policies/test_policy_pack_self_contained.py) fails when it differs from the sources. `--venv` makes
the pack's own venv (policies/.venv, PulumiPolicy.yaml's `virtualenv`) from its requirements, at the
versions uv.lock pins, before `pulumi preview|up --policy-pack policies` (the workflows, `ftstack local`).

The modules copied are the pack's import closure: every `ftstack` module that a rule module imports, and
every `ftstack` module those import at module level. An import inside a function is followed only when the
pack can reach it; `UNREACHED_LAZY_IMPORTS` names the ones it cannot, and the check fails on any other.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "ftstack"
RULES = ROOT / "policies" / "ftstack_policies"
PACK = ROOT / "policies"
VENDOR = PACK / "vendor"
# Function-level imports in copied modules that no policy calls: stack-file validation of experiments
# (the pack reads resources and its config, never a stack file's training data).
UNREACHED_LAZY_IMPORTS = frozenset(
    {
        ("ftstack.config.validation", "ftstack.experiments.expansion"),
        ("ftstack.config.validation", "ftstack.experiments.subsets"),
        ("ftstack.config.validation", "ftstack.training_data.rules"),
    }
)


def _source(module: str) -> Path | None:
    """The file that defines `module` in the repository, or None when it is not an ftstack module."""
    path = ROOT.joinpath(*module.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _is_ftstack(module: str | None) -> bool:
    return module is not None and (module == PACKAGE or module.startswith(f"{PACKAGE}."))


def _imports(path: Path, *, module_level_only: bool) -> Iterator[str]:
    """The absolute ftstack module names `path` imports (`from a.b import c` yields a.b and a.b.c)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = _module_level(tree.body) if module_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if _is_ftstack(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_ftstack(node.module):
            assert node.module is not None
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run when a module is imported (not function or class bodies' nested defs)."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.Try):
            nested = [*statement.body, *statement.orelse]
            if isinstance(statement, ast.Try):
                nested += [*statement.finalbody, *(s for h in statement.handlers for s in h.body)]
            yield from _module_level(nested)


def _with_parents(module: str) -> Iterator[str]:
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def closure() -> tuple[dict[str, Path], list[str]]:
    """The ftstack modules the pack needs (name -> source file) and the lazy imports it would miss."""
    found: dict[str, Path] = {}
    pending = [
        name for rules in sorted(RULES.glob("*.py")) for name in _imports(rules, module_level_only=False)
    ]
    while pending:
        for module in _with_parents(pending.pop()):
            source = _source(module)
            if source is None or module in found:
                continue
            found[module] = source
            pending += _imports(source, module_level_only=True)
    missing = sorted(
        f"{module} imports {lazy} inside a function"
        for module, source in found.items()
        for lazy in _imports(source, module_level_only=False)
        if _source(lazy) is not None and lazy not in found and (module, lazy) not in UNREACHED_LAZY_IMPORTS
    )
    return found, missing


def data_files(modules: dict[str, Path]) -> list[Path]:
    """The shipped data files the copied modules read (`<package>/data/<name>` with `<name>` in the code)."""
    files: list[Path] = []
    for source in modules.values():
        data = source.parent / "data"
        if data.is_dir():
            text = source.read_text(encoding="utf-8")
            files += [f for f in sorted(data.iterdir()) if f.is_file() and f'"{f.name}"' in text]
    return sorted(set(files))


def expected() -> dict[Path, Path]:
    """Each file of the vendored copy (relative to `policies/vendor/`) and the source it copies."""
    modules, missing = closure()
    if missing:
        raise SystemExit(
            "sync_policy_pack: the pack could reach modules it does not ship: " + "; ".join(missing)
        )
    sources = [*modules.values(), *data_files(modules)]
    return {source.relative_to(ROOT): source for source in sources}


def actual() -> set[Path]:
    """The files now in the vendored copy, relative to `policies/vendor/` (caches aside)."""
    if not VENDOR.is_dir():
        return set()
    return {p.relative_to(VENDOR) for p in VENDOR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def differences() -> list[str]:
    """One line per vendored file that is missing, stale or no longer needed; empty when in sync."""
    wanted = expected()
    present = actual()
    lines = [f"missing: policies/vendor/{p}" for p in sorted(set(wanted) - present)]
    lines += [f"not needed: policies/vendor/{p}" for p in sorted(present - set(wanted))]
    lines += [
        f"differs from {source.relative_to(ROOT)}: policies/vendor/{p}"
        for p, source in sorted(wanted.items())
        if p in present and not filecmp.cmp(source, VENDOR / p, shallow=False)
    ]
    return lines


def sync() -> int:
    """Rewrite `policies/vendor/` from the sources; the number of files written."""
    shutil.rmtree(VENDOR / PACKAGE, ignore_errors=True)
    wanted = expected()
    for relative, source in wanted.items():
        target = VENDOR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return len(wanted)


def make_venv(target: Path, requirements: Path = PACK / "requirements.txt") -> Path:
    """A virtualenv at `target` with the pack's requirements and nothing else; its Python.

    With uv on PATH (fast, from its cache) the versions are the ones uv.lock pins for the project, the same
    the tests ran with; without it, `python -m venv` and pip take the newest that fit requirements.txt.
    """
    python = target / "bin" / "python"
    uv = shutil.which("uv")
    if uv is None:
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True)
        return python
    target.parent.mkdir(parents=True, exist_ok=True)
    constraints = target.parent / f"{target.name}-lock-constraints.txt"
    export = [uv, "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-hashes", "--quiet"]
    subprocess.run(
        [*export, "--format", "requirements-txt", "--output-file", str(constraints)], cwd=ROOT, check=True
    )
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(target)], check=True)
    install = [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)]
    subprocess.run([*install, "--constraint", str(constraints)], check=True)
    constraints.unlink()
    return python


def main(argv: list[str] | None = None) -> int:
    """`sync_policy_pack.py [--check]`: exit 0 in sync (or synced), 1 with one line per difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report differences; exit 1 if any")
    parser.add_argument("--venv", action="store_true", help="only make the pack's venv (policies/.venv)")
    args = parser.parse_args(argv)
    if args.venv:
        print(f"sync_policy_pack: the pack's venv runs {make_venv(PACK / '.venv')}")
        return 0
    if args.check:
        lines = differences()
        for line in lines:
            print(f"sync_policy_pack: {line}", file=sys.stderr)
        if lines:
            print(
                "sync_policy_pack: run `python scripts/sync_policy_pack.py` and commit the result",
                file=sys.stderr,
            )
        return 1 if lines else 0
    print(f"sync_policy_pack: {sync()} files in policies/vendor/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
