"""Tokens of an example's tool definitions as the models are shown them, by the formula of OpenAI's
cookbook `num_tokens_for_tools` (examples/How_to_count_tokens_with_tiktoken.ipynb): per function a
fixed start plus the tokens of "name:description", per top-level parameter a fixed cost plus
"name:type:description", per enum value a fixed cost plus its tokens, and a fixed end per list.
The constants are per encoding in rules.yaml `toolCounting`.

Where the cookbook's function would fail (no description, no parameters, a property without a type,
an enum value that is not a string) the missing text counts as empty and a non-string value as its
JSON; nested schemas below the top-level properties are not counted, as in the cookbook's formula, so
for deeply nested tools the count is a lower estimate."""

from __future__ import annotations

import json
from collections.abc import Callable

from ftstack.training_data.rules import ToolTokenConstants


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " | ".join(value)  # a JSON-schema type list, spelled as the TypeScript-like rendering does
    return ""


def _without_final_dot(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


def tool_definition_tokens(
    functions: list[dict[str, object]], constants: ToolTokenConstants, count: Callable[[str], int]
) -> int:
    """Tokens of the function definitions of one `tools` list (each item a `function` object),
    counting text with `count`; 0 for an empty list."""
    if not functions:
        return 0
    total = 0
    for function in functions:
        total += constants.function_start
        name = _text(function.get("name"))
        total += count(f"{name}:{_without_final_dot(_text(function.get('description')))}")
        parameters = function.get("parameters")
        properties = parameters.get("properties") if isinstance(parameters, dict) else None
        if not isinstance(properties, dict) or not properties:
            continue
        total += constants.properties_start
        for key, spec in properties.items():
            total += constants.property_key
            spec = spec if isinstance(spec, dict) else {}
            enum = spec.get("enum")
            if isinstance(enum, list):
                total += constants.enum_start
                for item in enum:
                    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
                    total += constants.enum_item + count(text)
            description = _without_final_dot(_text(spec.get("description")))
            total += count(f"{key}:{_text(spec.get('type'))}:{description}")
    return total + constants.tools_end
