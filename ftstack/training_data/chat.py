"""Checks of one chat (supervised fine-tuning) example: `{"messages": [...], "tools": [...]}`."""

from __future__ import annotations

from ftstack.training_data.context import CheckContext, ExampleTally
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_literal, json_type_name
from ftstack.training_data.messages import CHAT_ROLES, check_messages
from ftstack.training_data.tools import check_tools

CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


def check_chat_example(example: dict[str, object], ctx: CheckContext) -> ExampleTally:
    """Check one parsed chat example; returns its errors and token counts."""
    tally = ExampleTally()
    if not CHAT_KEYS.issuperset(example):  # no set built for the usual example
        unknown = example.keys() - CHAT_KEYS
        hint = " (this looks like a DPO example: use --method dpo)" if "preferred_output" in unknown else ""
        tally.error(
            Code.UNKNOWN_KEY,
            f"unknown key(s) {', '.join(sorted(map(json_literal, unknown)))}; "
            f"allowed: {', '.join(sorted(CHAT_KEYS))}{hint}",
        )
    messages = example.get("messages")
    if not isinstance(messages, list):
        got = 'has no "messages"' if messages is None else f'"messages" is {json_type_name(messages)}'
        tally.error(Code.MISSING_MESSAGES, f"the example {got}; expected an array of messages")
        return tally
    if not messages:
        tally.error(Code.EMPTY_MESSAGES, '"messages" is empty')
        return tally
    tokens = ctx.rules.reply_priming_tokens
    tool_names = None
    if "tools" in example:
        tool_tokens, tool_names = check_tools(example["tools"], "tools", ctx, tally)
        tokens += tool_tokens
    if "functions" in example:
        legacy_tokens, _ = check_tools(
            [{"type": "function", "function": f} for f in example["functions"]]
            if isinstance(example["functions"], list)
            else example["functions"],
            "functions",
            ctx,
            tally,
        )
        tokens += legacy_tokens
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        tally.error(Code.INVALID_TOOLS, "parallel_tool_calls must be true or false")
    message_tokens, _ = check_messages(messages, "messages", CHAT_ROLES, ctx, tally, tool_names=tool_names)
    tokens += message_tokens
    if not tally.roles.get("assistant"):
        tally.error(Code.NO_ASSISTANT_MESSAGE, "the example has no assistant message to learn from")
    elif not tally.trained_assistant:
        tally.warning(
            Code.NO_TRAINED_ASSISTANT_MESSAGE,
            "every assistant message has weight 0, so the example trains nothing but is still billed; "
            "give the answer to learn weight 1",
        )
    tally.missing_system = not tally.roles.get("system")
    tally.missing_user = not tally.roles.get("user")
    tally.tokens = tally.limit_tokens = tokens
    return tally
