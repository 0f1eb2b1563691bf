"""A picture in words: its titles, axis labels, legends and notes, read from the figure's own artists and
stored as the PNG's `Description` text, for readers (and tests) that cannot see the picture."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure


def describe(fig: Figure) -> str:
    """The figure in words, one line per panel: title, x and y labels, legend entries and notes."""
    lines = [t.get_text() for t in fig.texts if t.get_text()]
    for axis in fig.axes:
        parts = [
            f"{name}: {label}"
            for name, label in (
                ("title", axis.get_title()),
                ("x", axis.get_xlabel()),
                ("y", axis.get_ylabel()),
            )
            if label
        ]
        legend = axis.get_legend()
        if legend is not None:
            parts.append("legend: " + "; ".join(t.get_text() for t in legend.get_texts()))
        notes = [" ".join(t.get_text().split()) for t in axis.texts if t.get_text()]
        if notes:
            parts.append("notes: " + "; ".join(notes))
        if parts:
            lines.append(" | ".join(parts))
    for legend in fig.legends:
        lines.append("legend: " + "; ".join(t.get_text() for t in legend.get_texts()))
    return "\n".join(lines)


def save_png(fig: Figure, path: Path, dpi: float | None = None) -> Path:
    """Write `fig` to `path` as a PNG whose Description is `describe(fig)`; returns `path`."""
    fig.savefig(
        path, format="png", dpi=dpi if dpi is not None else "figure", metadata={"Description": describe(fig)}
    )
    return path
