"""Clean metavars in `--help`: flags show none, values show what they take (`TEXT`, `INTEGER`, `PATH`,
`[standard|global]`, `TEXT...` for a repeatable option) instead of Python types (`<bool>`, `<list[str]>`)."""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperArgument, TyperOption

_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "path": "PATH"}
_installed = False


def clean_metavar(label: str | None) -> str | None:
    """The metavar to show for typer's type label (`<list[str]>` -> `TEXT...`; `<bool>` -> None)."""
    if label is None:
        return None
    match = re.fullmatch(r"<(.*)>(\.\.\.)?", label)
    if match is None:
        return label
    inner, more = match.group(1), match.group(2) or ""
    listed = re.fullmatch(r"list\[(.*)\]", inner)
    if listed:
        inner, more = listed.group(1), "..."
    if inner == "bool":
        return None
    if "|" in inner:
        return f"[{inner}]{more}"
    return _NAMES.get(inner, inner.upper()) + more


def install() -> None:
    """Make typer's help use clean metavars (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    for cls in (TyperOption, TyperArgument):
        original = cls.display_type_rich

        def display(self: Any, ctx: Any, _original: Any = original) -> str | None:
            if getattr(self, "is_flag", False):
                return None
            return clean_metavar(_original(self, ctx))

        cls.display_type_rich = display  # type: ignore[method-assign]
