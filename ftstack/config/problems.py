"""Config problems: where (key path), what (the bad value) and what would work, one line each."""

from __future__ import annotations

from dataclasses import dataclass

ROOT_KEY = "ftstack:environment"


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a stack's configuration."""

    path: str  # e.g. "fineTuning.jobs[0].baseModel", relative to ftstack:environment
    message: str

    def render(self, source: str | None = None) -> str:
        """The one-line form: `<file>: ftstack:environment.<path>: <message>`."""
        key = f"{ROOT_KEY}.{self.path}" if self.path else ROOT_KEY
        prefix = f"{source}: " if source else ""
        return f"{prefix}{key}: {' '.join(self.message.split())}"


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
