"""Checks of a list of chat messages (roles, content, weights, names, tool calls and results) and
their token count, shared by chat SFT examples and DPO inputs and outputs."""

from __future__ import annotations

import json
from collections.abc import Collection

from ftstack.training_data.content import check_parts
from ftstack.training_data.context import CheckContext, ExampleTally
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_literal, json_type_name

MESSAGE_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"})
CHAT_ROLES = ("system", "user", "assistant", "tool", "function")
OUTPUT_ROLES = ("assistant", "tool")


def check_messages(
    messages: list[object],
    where: str,
    roles: Collection[str],
    ctx: CheckContext,
    tally: ExampleTally,
    *,
    pending_calls: set[str] | None = None,
    tool_names: frozenset[str] | None = None,
) -> tuple[int, set[str]]:
    """Check `messages`; returns their tokens and the ids of tool calls still without a result."""
    rules = ctx.rules
    per_message, count, count_repeated = rules.tokens_per_message, ctx.count, ctx.count_repeated
    pending: set[str] = set(pending_calls or ())
    answered: set[str] = set()
    tokens = 0
    tally.messages += len(messages)
    seen_roles = tally.roles
    for i, message in enumerate(messages):
        # the message's place in errors, `messages[2] (assistant)`, is spelled only when one is found
        if not isinstance(message, dict):
            tally.error(Code.NOT_AN_OBJECT, f"{where}[{i}] is not an object")
            continue
        role = message.get("role")
        if not isinstance(role, str) or role not in roles:
            expected = ", ".join(roles)
            got = "has no role" if role is None else f"has role {json_literal(role)}"
            tally.error(Code.INVALID_ROLE, f"{where}[{i}] {got}; expected one of {expected}")
            continue
        seen_roles[role] = seen_roles.get(role, 0) + 1
        size = per_message + count_repeated(role)
        content = message.get("content")
        if (
            len(message) == 2
            and type(content) is str
            and role != "tool"
            and content
            and not content.isspace()
        ):
            # the usual message, {"role", "content": text} and no tool result: nothing else to check
            size += count_repeated(content) if role == "system" else count(content)
            if role == "assistant":
                tally.assistant_tokens += size
                tally.trained_assistant += 1
            tokens += size
            continue
        here = f"{where}[{i}] ({role})"
        if not MESSAGE_KEYS.issuperset(message):  # no set built for the usual message
            unknown = message.keys() - MESSAGE_KEYS
            tally.error(
                Code.UNKNOWN_KEY,
                f"{here} has unknown key(s) {', '.join(sorted(map(json_literal, unknown)))}; "
                f"allowed: {', '.join(sorted(MESSAGE_KEYS))}",
            )
        name = message.get("name")
        if name is not None:
            if isinstance(name, str) and name:
                size += count(name) + rules.tokens_per_name
            else:
                tally.error(Code.INVALID_NAME, f"{here} name must be a non-empty string")
        weight = message.get("weight")
        if weight is not None:
            if role != "assistant":
                tally.error(Code.INVALID_WEIGHT, f"{here} has a weight; only assistant messages take one")
            elif isinstance(weight, bool) or weight not in (0, 1):
                tally.error(
                    Code.INVALID_WEIGHT, f"{here} weight is {json_literal(weight)}; it must be 0 or 1"
                )
        calls, function_call = message.get("tool_calls"), message.get("function_call")
        has_calls = calls is not None or function_call is not None
        if calls is not None:
            size += _check_tool_calls(calls, role, here, ctx, tally, pending, tool_names)
        if function_call is not None:
            size += _check_function_call(function_call, here, ctx, tally)
        if isinstance(content, str):
            if content.strip():
                size += count_repeated(content) if role == "system" else count(content)
            elif not has_calls:
                tally.error(Code.MISSING_CONTENT, f"{here} content is empty")
        elif isinstance(content, list):
            size += check_parts(content, role, here, ctx, tally)
        elif content is None:
            if not (role == "assistant" and has_calls):
                tally.error(Code.MISSING_CONTENT, f"{here} has no content")
        else:
            tally.error(
                Code.INVALID_CONTENT,
                f"{here} content is {json_type_name(content)}; expected a string or an array of parts",
            )
        call_id = message.get("tool_call_id")
        if isinstance(call_id, str):
            # the cookbook's num_tokens_from_messages counts every string value of a message
            size += count(call_id)
        if role == "tool":
            _check_tool_result(call_id, here, tally, pending, answered)
        if role == "assistant" and weight != 0:
            tally.assistant_tokens += size
            tally.trained_assistant += 1
        tokens += size
    return tokens, pending - answered


def _check_tool_calls(
    calls: object,
    role: str,
    where: str,
    ctx: CheckContext,
    tally: ExampleTally,
    pending: set[str],
    tool_names: frozenset[str] | None,
) -> int:
    if role != "assistant":
        tally.error(
            Code.INVALID_TOOL_CALL, f"{where} has tool_calls; only assistant messages make tool calls"
        )
        return 0
    if not isinstance(calls, list) or not calls:
        tally.error(Code.INVALID_TOOL_CALL, f"{where} tool_calls must be a non-empty list")
        return 0
    tokens = 0
    for k, call in enumerate(calls):
        here = f"{where} tool_calls[{k}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(function, dict):
            tally.error(Code.INVALID_TOOL_CALL, f'{here} needs an id, type "function" and a function object')
            continue
        call_id, name, arguments = call.get("id"), function.get("name"), function.get("arguments")
        if not isinstance(call_id, str) or not call_id:
            tally.error(Code.INVALID_TOOL_CALL, f"{here} has no string id")
        else:
            pending.add(call_id)
        if call.get("type", "function") != "function":
            tally.error(
                Code.INVALID_TOOL_CALL,
                f'{here} type is {json_literal(call.get("type"))}; expected "function"',
            )
        if not isinstance(name, str) or not name:
            tally.error(Code.INVALID_TOOL_CALL, f"{here} function has no name")
        else:
            tokens += ctx.count_repeated(name)
            if tool_names is not None and name not in tool_names:
                tally.error(
                    Code.INVALID_TOOL_CALL,
                    f"{here} calls {json_literal(name)}, which the example's tools do not define "
                    f"(defined: {', '.join(sorted(tool_names)) or 'none'})",
                )
        if not isinstance(arguments, str):
            kind = json_type_name(arguments)
            tally.error(Code.INVALID_TOOL_CALL, f"{here} arguments must be a string of JSON, not {kind}")
            continue
        _check_arguments(arguments, here, tally)
        tokens += ctx.count(arguments)
    return tokens


def _check_arguments(arguments: str, where: str, tally: ExampleTally) -> None:
    try:
        parsed = json.loads(arguments)
    except ValueError:
        tally.error(
            Code.INVALID_TOOL_CALL, f"{where} arguments are not valid JSON: {json_literal(arguments)}"
        )
    except RecursionError:
        tally.error(Code.INVALID_TOOL_CALL, f"{where} arguments are nested too deeply")
    else:
        if not isinstance(parsed, dict):
            # a function takes named parameters; training on anything else teaches calls that fail
            tally.warning(
                Code.TOOL_ARGUMENTS_NOT_OBJECT,
                f"{where} arguments are {json_type_name(parsed)} ({json_literal(arguments)}); "
                "function arguments are a JSON object of named parameters",
            )


def _check_function_call(call: object, where: str, ctx: CheckContext, tally: ExampleTally) -> int:
    if not (
        isinstance(call, dict)
        and isinstance(call.get("name"), str)
        and isinstance(call.get("arguments"), str)
    ):
        tally.error(Code.INVALID_TOOL_CALL, f"{where} function_call needs a string name and string arguments")
        return 0
    return ctx.count_repeated(call["name"]) + ctx.count(call["arguments"])


def _check_tool_result(
    call_id: object, where: str, tally: ExampleTally, pending: set[str], answered: set[str]
) -> None:
    if not isinstance(call_id, str) or not call_id:
        tally.error(Code.TOOL_RESULT_WITHOUT_CALL, f"{where} has no tool_call_id naming the call it answers")
    elif call_id not in pending:
        tally.error(
            Code.TOOL_RESULT_WITHOUT_CALL,
            f"{where} answers tool call {json_literal(call_id)}, which no earlier assistant message made",
        )
    elif call_id in answered:
        tally.error(
            Code.TOOL_RESULT_WITHOUT_CALL, f"{where} answers tool call {json_literal(call_id)} a second time"
        )
    else:
        answered.add(call_id)
