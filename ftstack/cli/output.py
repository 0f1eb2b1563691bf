"""How the CLI writes for people: colour only on a terminal (`--color auto|always|never`, `NO_COLOR`), no
hard wrap when the output is piped, and tables that keep their key column whole at 80 columns.

Every command asks `console()` for its Console; nothing else decides colour or width.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from enum import StrEnum

from rich.console import Console
from rich.table import Table

PIPE_WIDTH = 100_000  # piped output: lines are as long as their content, never hard-wrapped


class ColorMode(StrEnum):
    """`--color`: auto (a terminal without NO_COLOR), always or never."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


_mode = ColorMode.AUTO


def set_color_mode(mode: ColorMode) -> None:
    """Set the colour mode for every console this process makes."""
    global _mode
    _mode = mode


def _is_terminal(stderr: bool) -> bool:
    stream = sys.stderr if stderr else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_wanted(stderr: bool = False) -> bool:
    """Whether output to stdout (or stderr) gets colour under the current mode and NO_COLOR."""
    if _mode is ColorMode.ALWAYS:
        return True
    if _mode is ColorMode.NEVER or os.environ.get("NO_COLOR"):
        return False
    return _is_terminal(stderr)


def console(stderr: bool = False) -> Console:
    """A Console for stdout (or stderr): on a terminal, its width and colour; piped, no colour, no markup
    styles and no hard wrap (lines as long as their content)."""
    terminal = _is_terminal(stderr)
    colour = colour_wanted(stderr)
    if terminal:
        if colour:
            return Console(stderr=stderr, highlight=False)
        return Console(stderr=stderr, no_color=True, color_system=None, highlight=False)
    return Console(
        stderr=stderr,
        force_terminal=colour,
        no_color=not colour,
        color_system="standard" if colour else None,
        width=PIPE_WIDTH,
        soft_wrap=True,
        highlight=False,
    )


def key_table(title: str | None, key: str, keys: Sequence[str], *columns: str) -> Table:
    """A table whose first column (`key`) is never cut or wrapped, whatever the width: it is as wide as its
    longest value; the other columns wrap instead."""
    table = Table(title=title, title_justify="left")
    width = max([len(key), *(len(k) for k in keys)])
    table.add_column(key, no_wrap=True, min_width=width, overflow="fold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_records(
    out: Console, table: Table, records: Sequence[tuple[str, Sequence[tuple[str, str]]]]
) -> None:
    """Print `table` when it fits the console's width, else the same records as a list (the key on its own
    line, then one `column: value` line each), so that nothing is cut at 80 columns."""
    from rich.measure import Measurement

    if Measurement.get(out, out.options.update_width(PIPE_WIDTH), table).maximum <= out.width:
        out.print(table)
        return
    if table.title:
        out.print(str(table.title), style="bold", markup=False)
    for key, fields in records:
        out.print(key, style="bold", markup=False)
        for name, value in fields:
            out.print(f"  {name}: {value}", markup=False)
