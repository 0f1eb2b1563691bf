"""What the per-example checks need: the model's limits, the rules and a token counter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ftstack.training_data.rules import DataRules
from ftstack.training_data.tokenizer import get_encoding
from ftstack.training_data.tool_tokens import tool_definition_tokens

Method = Literal["supervised", "dpo"]

# Repeated texts (system prompts, tool definitions) are counted once per process; the cache is
# cleared when full so memory stays bounded on files with many distinct system prompts.
_MAX_CACHED_TEXTS = 4096


@dataclass(frozen=True)
class CheckSettings:
    """The facts one validation run needs about the model and the file (picklable for workers)."""

    encoding: str
    vision: bool
    example_token_limit: int
    method: Method
    rules: DataRules
    finding_cap: int = 100


@dataclass
class ExampleTally:
    """What checking one example found: its errors, warnings and counts."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    tokens: int = 0
    limit_tokens: int = 0
    assistant_tokens: int = 0
    trained_assistant: int = 0  # assistant messages without weight 0
    messages: int = 0
    images: int = 0
    missing_system: bool = False
    missing_user: bool = False
    roles: dict[str, int] = field(default_factory=dict)

    def error(self, code: str, message: str) -> None:
        """Record an error of this example."""
        self.errors.append((code, message))

    def warning(self, code: str, message: str) -> None:
        """Record a warning of this example."""
        self.warnings.append((code, message))


class CheckContext:
    """Counts tokens with the model's encoding, caching texts that repeat across examples."""

    def __init__(self, settings: CheckSettings) -> None:
        self.settings = settings
        self.rules = settings.rules
        self._encode = get_encoding(settings.encoding).encode_ordinary
        self._cache: dict[str, int] = {}
        # an encoding without constants in rules.yaml is a packaging error, found on the first example
        self._tool_constants = settings.rules.tool_constants(settings.encoding)

    def count(self, text: str) -> int:
        """Tokens of `text`."""
        return len(self._encode(text))

    def count_repeated(self, text: str) -> int:
        """Tokens of a text that is likely to repeat (system prompt, role, tool definitions), cached."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= _MAX_CACHED_TEXTS:
                self._cache.clear()
            found = self._cache[text] = len(self._encode(text))
        return found

    def count_tools(self, functions: list[dict[str, object]]) -> int:
        """Tokens of function definitions as the models are shown them (the cookbook's formula)."""
        return tool_definition_tokens(functions, self._tool_constants, self.count_repeated)
