"""Checks of an example's `tools` definitions (functions the assistant may call)."""

from __future__ import annotations

from ftstack.training_data.context import CheckContext, ExampleTally
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_type_name


def check_tools(
    tools: object, where: str, ctx: CheckContext, tally: ExampleTally
) -> tuple[int, frozenset[str] | None]:
    """Check a `tools` list; returns its tokens as the models see them and the defined function names
    (None when unusable)."""
    if not isinstance(tools, list) or not tools:
        got = f"is {json_type_name(tools)}" if not isinstance(tools, list) else "is empty"
        tally.error(
            Code.INVALID_TOOLS, f'{where} {got}; it must be a non-empty array of {{"type": "function", ...}}'
        )
        return 0, None
    names: set[str] = set()
    functions: list[dict[str, object]] = []
    for k, tool in enumerate(tools):
        here = f"{where}[{k}]"
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
            tally.error(Code.INVALID_TOOLS, f'{here} needs type "function" and a function object')
            continue
        name = function.get("name")
        if not isinstance(name, str) or not name:
            tally.error(Code.INVALID_TOOLS, f"{here} function has no name")
            continue
        if "parameters" in function and not isinstance(function["parameters"], dict):
            tally.error(
                Code.INVALID_TOOLS,
                f"{here} function {name!r} parameters is {json_type_name(function['parameters'])}; "
                "it must be a JSON schema object",
            )
        names.add(name)
        functions.append(function)
    return ctx.count_tools(functions), frozenset(names)
