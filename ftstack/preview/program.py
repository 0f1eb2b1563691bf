"""Run the real Pulumi program (`__main__.py`) under mocks and record what it declares.

This is the credential-free stand-in for `pulumi preview` / `pulumi up`: the stack's config is loaded the
way the CLI loads it (Pulumi.yaml defaults, then the stack file), the program runs unchanged, and every
resource registration is captured with its properties, parent and dependencies. Azure is never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import runpy
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from ftstack.config import ConfigError, StackFileError, load_stack
from ftstack.preview.capture import UNKNOWN, CapturingMonitor, DeclaredResource, plain
from ftstack.preview.mocks import AzureMocks

PROGRAM = "__main__.py"

__all__ = ["UNKNOWN", "DeclaredResource", "ProgramError", "ProgramRun", "run_program"]


class ProgramError(Exception):
    """The program refused the stack (bad config, missing stack file): `lines` holds one line per problem,
    `declared` what registered before the refusal (empty when config checks refused it up front)."""

    def __init__(self, lines: list[str], declared: list[DeclaredResource] | None = None):
        self.lines = lines
        self.declared = declared or []
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ProgramRun:
    """What one program run declared: resources (parents before children, see tree_order), and exports.

    Export values are plain JSON-like values; a value unknown until deployment (preview) is UNKNOWN.
    """

    stack: str
    preview: bool
    resources: list[DeclaredResource]
    exports: dict[str, Any]

    def of_type(self, type_: str) -> list[DeclaredResource]:
        """The declared resources of one type token, in registration order."""
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> DeclaredResource:
        """The declared resource with this URN; KeyError when there is none."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)


def run_program(project_dir: Path, stack: str, preview: bool) -> ProgramRun:
    """Run `<project_dir>/__main__.py` for `stack` under mocks (preview or update mode).

    Raises ProgramError (with the problem lines) when the stack file is missing or the program refuses
    the config; other exceptions are bugs and propagate. Safe to call repeatedly in one process: each run
    gets a fresh Pulumi runtime context, its own config and its own root stack.
    """
    project_dir = project_dir.resolve()
    try:
        config = load_stack(stack, project_dir)
    except StackFileError as exc:
        raise ProgramError([str(exc)]) from None
    mocks = AzureMocks(stack, preview)
    monitor = CapturingMonitor(mocks)

    def run() -> dict[str, Any]:
        _ensure_event_loop()
        pulumi.runtime.set_mocks(mocks, project=config.project, stack=stack, preview=preview, monitor=monitor)
        pulumi.runtime.set_all_config(config.pulumi_config(), sorted(config.secret_keys))
        exports: dict[str, Any] = {}

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(project_dir / PROGRAM), run_name="__main__")
            root = pulumi.runtime.get_root_resource()
            outputs = dict(getattr(root, "outputs", {}) or {})
            for key, value in outputs.items():
                exports[key] = _resolved(value)

        with _inside(project_dir):
            program()
        return exports

    try:
        # A fresh context: Pulumi keeps its settings, config and root stack in context variables.
        exports = contextvars.Context().run(run)
    except Exception as exc:
        lines = _refusal(exc, config.source)
        if lines is None:
            raise
        raise ProgramError(lines, list(monitor.declared)) from None
    return ProgramRun(stack, preview, tree_order(monitor.declared), exports)


def _ensure_event_loop() -> None:
    """Give this thread an event loop when it has none: Pulumi's mock runtime asks for the current one,
    and an earlier `asyncio.run` in the same process leaves none behind."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def tree_order(resources: list[DeclaredResource]) -> list[DeclaredResource]:
    """Resources as a tree walk: each parent before its children, siblings by (components first, type,
    name). Registration order varies between runs (it follows output resolution); this does not."""
    urns = {r.urn for r in resources}
    children: dict[str, list[DeclaredResource]] = {}
    for resource in resources:
        parent = resource.parent_urn if resource.parent_urn in urns else ""
        children.setdefault(parent, []).append(resource)
    ordered: list[DeclaredResource] = []

    def walk(parent: str) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            ordered.append(resource)
            walk(resource.urn)

    walk("")
    return ordered


def _refusal(exc: BaseException, source: str) -> list[str] | None:
    """The problem lines when the program refused the stack, else None (a bug).

    Pulumi re-raises an error from inside an apply wrapped in its own ValueError, so the whole chain
    of causes is searched.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConfigError):
            return current.lines()
        if isinstance(current, pulumi.ConfigMissingError):
            return [f"{source}: {' '.join(str(current).split())}"]
        if isinstance(current, pulumi.RunError):
            return str(current).splitlines()
        current = current.__cause__ or current.__context__
    return None


def _resolved(value: Any) -> Any:
    """An export's plain value (awaiting an Output; unknowns as UNKNOWN, secrets unwrapped)."""
    output = pulumi.Output.from_input(value)
    if not _sync_await(output.is_known()):
        data = _sync_await(output.future(with_unknowns=True))
        return plain(data, "", []) if data is not None else UNKNOWN
    return plain(_sync_await(output.future()), "", [])


@contextlib.contextmanager
def _inside(project_dir: Path) -> Iterator[None]:
    """Run as the Pulumi CLI does: cwd = the project folder, which is also importable."""
    previous = Path.cwd()
    added = str(project_dir) not in sys.path
    if added:
        sys.path.insert(0, str(project_dir))
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous)
        if added:
            sys.path.remove(str(project_dir))
