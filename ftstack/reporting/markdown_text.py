"""User text made inert for Markdown: a stack's free text (a capability override's justification, names,
messages that quote config values) goes into pull-request comments, where it must render as the text it
is, never as markup, HTML, a mention or the workflow's own comment marker.

`cell` keeps the code spans the report writes on purpose (`` `name` ``) and escapes everything else:
Markdown's inline punctuation and HTML (`<` and `&` as entities, so no `<!-- ... -->` comment, tag or
marker can appear), mentions (`@name` would notify people), table pipes, line breaks and control and
bidirectional-override characters. A code span whose text holds `<` or `&` is shown as escaped text
instead, so the raw characters of a marker never reach the comment.
"""

from __future__ import annotations

import re

# Characters that start inline Markdown: emphasis, code, links and images, strikethrough, escapes, pipes.
_INLINE = re.compile(r"([\\`*_\[\]~|])")
# What opens a block at the start of a list item: a heading, a quote, a list, or a numbered list.
_BLOCK_START = re.compile(r"^(\s*)([#>+-])")
_NUMBERED_START = re.compile(r"^(\s*\d+)([.)])")
# C0 and C1 controls, and the bidirectional overrides and isolates (text that displays other than it reads).
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CODE_SPAN = re.compile(r"`([^`\n]*)`")
ZERO_WIDTH_SPACE = "&#8203;"


def escape_text(text: str) -> str:
    """`text` as inline Markdown that renders exactly as `text`: one line, no markup, HTML or mentions."""
    flat = _INVISIBLE.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _INLINE.sub(r"\\\1", escaped)
    # GitHub links `@name` and `@org/team` to people and notifies them; a zero-width space prevents it.
    escaped = escaped.replace("@", f"@{ZERO_WIDTH_SPACE}")
    return _NUMBERED_START.sub(r"\1\\\2", _BLOCK_START.sub(r"\1\\\2", escaped))


def code_span(text: str) -> str:
    """`text` as a code span when it can be one, else as escaped text."""
    flat = _INVISIBLE.sub("", text.replace("\n", " ").replace("\r", " "))
    if not flat or any(c in flat for c in "`<&"):
        return escape_text(flat)
    piped = flat.replace("|", "\\|")
    return f"`{piped}`"


def cell(text: str) -> str:
    """A report fragment for a table cell or list item: its code spans kept (made safe), the rest of
    `text` escaped; one line."""
    out: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(escape_text(text[position : match.start()]))
        out.append(code_span(match.group(1)))
        position = match.end()
    out.append(escape_text(text[position:]))
    return "".join(out)
