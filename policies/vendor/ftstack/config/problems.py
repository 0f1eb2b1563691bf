"""Config problems: where (key path), what (the bad value) and what would work, one line each."""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT_KEY = "ftstack:environment"
# How much of a bad value a message quotes: enough to recognise it, never a 10 MB line.
MAX_QUOTED_CHARS = 80
# A quoted run longer than that, in any message (the catalog's and pydantic's quote whole values). A quote
# inside a word ("the service's") starts no run, so prose is never cut.
# A repr may hold escaped quotes, which belong to the run.
_LONG_QUOTED = re.compile(
    rf"(?<![\w'])'(?:[^'\\\n]|\\.){{{MAX_QUOTED_CHARS + 1},}}'(?!\w)"
    rf"|(?<![\w\"])\"(?:[^\"\\\n]|\\.){{{MAX_QUOTED_CHARS + 1},}}\"(?!\w)"
)


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a stack's configuration."""

    path: str  # e.g. "fineTuning.jobs[0].baseModel", relative to ftstack:environment
    message: str

    def render(self, source: str | None = None) -> str:
        """The one-line form: `<file>: ftstack:environment.<path>: <message>`."""
        key = f"{ROOT_KEY}.{self.path}" if self.path else ROOT_KEY
        prefix = f"{source}: " if source else ""
        return f"{prefix}{shorten(key)}: {shorten(' '.join(self.message.split()))}"


class ConfigError(ValueError):
    """A stack configuration with one or more problems; `problems` holds all of them."""

    def __init__(self, problems: list[ConfigProblem], source: str | None = None):
        self.problems = problems
        self.source = source
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Every problem rendered on its own line."""
        return [p.render(self.source) for p in self.problems]


def join_path(*parts: str | int) -> str:
    """`fineTuning`, `jobs`, 0, `baseModel` -> `fineTuning.jobs[0].baseModel`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def quote_value(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """`value` quoted as Python shows it, at most about `limit` characters: a long value is cut, and the
    message says how long it was, so one bad value never floods the terminal or a pull-request comment."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        # Beyond 4300 digits repr() raises, and long before that the digits say nothing.
        return f"an integer of {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str) else len(text)
    return f"{text[: limit - 1]}… ({size} characters)"


def shorten(text: str) -> str:
    """`text` with every quoted run longer than MAX_QUOTED_CHARS cut down (see quote_value)."""
    if len(text) <= MAX_QUOTED_CHARS:
        return text
    return _LONG_QUOTED.sub(lambda match: _cut(match.group(0)), text)


def _cut(quoted: str) -> str:
    return f"{quoted[: MAX_QUOTED_CHARS - 1]}…{quoted[0]} ({len(quoted) - 2} characters)"
