"""Checks of one direct-preference-optimization example:
`{"input": {"messages": [...], "tools": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`."""

from __future__ import annotations

from ftstack.training_data.context import CheckContext, ExampleTally
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_literal
from ftstack.training_data.messages import CHAT_ROLES, OUTPUT_ROLES, check_messages
from ftstack.training_data.tools import check_tools

DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})


def check_dpo_example(example: dict[str, object], ctx: CheckContext) -> ExampleTally:
    """Check one parsed DPO example; its tokens count the input and both outputs, and its length
    against the limit is the input plus the longer output."""
    tally = ExampleTally()
    unknown = example.keys() - DPO_KEYS
    if unknown:
        hint = " (this looks like a chat example: use --method supervised)" if "messages" in unknown else ""
        tally.error(
            Code.UNKNOWN_KEY,
            f"unknown key(s) {', '.join(sorted(map(json_literal, unknown)))}; "
            f"allowed: {', '.join(sorted(DPO_KEYS))}{hint}",
        )
    input_tokens, pending, tool_names = _check_input(example.get("input"), ctx, tally)
    outputs = []
    for key, code in (
        ("preferred_output", Code.MISSING_PREFERRED_OUTPUT),
        ("non_preferred_output", Code.MISSING_NON_PREFERRED_OUTPUT),
    ):
        output = example.get(key)
        if not isinstance(output, list) or not output:
            tally.error(code, f'"{key}" is missing or empty; it must be a list with an assistant message')
            continue
        before = tally.roles.get("assistant", 0)
        tokens, _ = check_messages(
            output, key, OUTPUT_ROLES, ctx, tally, pending_calls=pending, tool_names=tool_names
        )
        if tally.roles.get("assistant", 0) == before:
            tally.error(Code.NO_ASSISTANT_MESSAGE, f'"{key}" has no assistant message')
        outputs.append(tokens)
    preferred, other = example.get("preferred_output"), example.get("non_preferred_output")
    if len(outputs) == 2 and preferred == other:
        # compared parsed, so a copy that differs only in spacing or key order is the same output
        tally.warning(
            Code.IDENTICAL_DPO_OUTPUTS,
            "preferred_output and non_preferred_output are the same, so the pair teaches no preference",
        )
    tally.tokens = input_tokens + sum(outputs)
    tally.limit_tokens = input_tokens + max(outputs, default=0)
    tally.missing_system = not tally.roles.get("system")
    tally.missing_user = not tally.roles.get("user")
    return tally


def _check_input(
    value: object, ctx: CheckContext, tally: ExampleTally
) -> tuple[int, set[str], frozenset[str] | None]:
    if not isinstance(value, dict):
        tally.error(Code.MISSING_MESSAGES, '"input" must be an object with "messages"')
        return 0, set(), None
    unknown = value.keys() - INPUT_KEYS
    if unknown:
        tally.error(
            Code.UNKNOWN_KEY, f"input has unknown key(s) {', '.join(sorted(map(json_literal, unknown)))}"
        )
    messages = value.get("messages")
    if not isinstance(messages, list):
        tally.error(Code.MISSING_MESSAGES, '"input" has no "messages" list')
        return 0, set(), None
    if not messages:
        tally.error(Code.EMPTY_MESSAGES, 'input "messages" is empty')
        return 0, set(), None
    tokens = ctx.rules.reply_priming_tokens
    tool_names = None
    if "tools" in value:
        tool_tokens, tool_names = check_tools(value["tools"], "input.tools", ctx, tally)
        tokens += tool_tokens
    message_tokens, pending = check_messages(
        messages, "input.messages", CHAT_ROLES, ctx, tally, tool_names=tool_names
    )
    last = messages[-1]
    if isinstance(last, dict) and last.get("role") == "assistant":
        tally.warning(
            Code.DPO_INPUT_ENDS_WITH_ASSISTANT,
            "input.messages ends with an assistant message; the outputs are compared as the reply to the "
            "input's last user (or tool) message",
        )
    # DPO trains on the outputs only: assistant turns inside the input are context
    tally.assistant_tokens = 0
    tally.trained_assistant = 0
    return tokens + message_tokens, pending, tool_names
