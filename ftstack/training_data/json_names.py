"""How messages name parsed JSON values: by their JSON type and JSON spelling, never Python's
("a number", `true`), so a finding reads the way the file is written."""

from __future__ import annotations

import json

_TYPE_NAMES: dict[type, str] = {
    list: "an array",
    dict: "an object",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def json_type_name(value: object) -> str:
    """How JSON names the type of a parsed value ("an array", "a boolean", "null", ...)."""
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


def json_literal(value: object, limit: int = 60) -> str:
    """`value` spelled as JSON (`true`, `0.5`, `"x"`), cut to about `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = json_type_name(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
