"""Tool definitions count as the models see them: the numbers of the OpenAI cookbook's published
`num_tokens_for_tools` and `num_tokens_from_messages` (examples/How_to_count_tokens_with_tiktoken.ipynb),
recomputed here by a transcription of those functions, independent of the engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from training_files import Writer, chat_example, row

from ftstack.catalog import load_matrix
from ftstack.training_data import count_tokens, get_encoding, validate_file
from ftstack.training_data.rules import load_rules

# The cookbook's constants per model family, as published (gpt-4o/gpt-4o-mini; gpt-3.5-turbo/gpt-4).
_COOKBOOK = {
    "o200k_base": {
        "func_init": 7,
        "prop_init": 3,
        "prop_key": 3,
        "enum_init": -3,
        "enum_item": 3,
        "func_end": 12,
    },
    "cl100k_base": {
        "func_init": 10,
        "prop_init": 3,
        "prop_key": 3,
        "enum_init": -3,
        "enum_item": 3,
        "func_end": 12,
    },
}


def cookbook_num_tokens_from_messages(messages: list[dict[str, Any]], encoding_name: str) -> int:
    """The cookbook's num_tokens_from_messages (gpt-4o family: 3 per message, 1 per name, 3 to prime)."""
    encoding = get_encoding(encoding_name)
    num_tokens = 0
    for message in messages:
        num_tokens += 3
        for key, value in message.items():
            num_tokens += len(encoding.encode(value))
            if key == "name":
                num_tokens += 1
    return num_tokens + 3


def cookbook_num_tokens_for_tools(
    functions: list[dict[str, Any]], messages: list[dict[str, Any]], encoding_name: str
) -> int:
    """The cookbook's num_tokens_for_tools, line for line (only the model lookup differs)."""
    c = _COOKBOOK[encoding_name]
    encoding = get_encoding(encoding_name)
    func_token_count = 0
    if len(functions) > 0:
        for f in functions:
            func_token_count += c["func_init"]
            function = f["function"]
            f_name = function["name"]
            f_desc = function["description"]
            if f_desc.endswith("."):
                f_desc = f_desc[:-1]
            line = f_name + ":" + f_desc
            func_token_count += len(encoding.encode(line))
            if len(function["parameters"]["properties"]) > 0:
                func_token_count += c["prop_init"]
                for key in list(function["parameters"]["properties"].keys()):
                    func_token_count += c["prop_key"]
                    p_name = key
                    p_type = function["parameters"]["properties"][key]["type"]
                    p_desc = function["parameters"]["properties"][key]["description"]
                    if "enum" in function["parameters"]["properties"][key]:
                        func_token_count += c["enum_init"]
                        for item in function["parameters"]["properties"][key]["enum"]:
                            func_token_count += c["enum_item"]
                            func_token_count += len(encoding.encode(item))
                    if p_desc.endswith("."):
                        p_desc = p_desc[:-1]
                    line = f"{p_name}:{p_type}:{p_desc}"
                    func_token_count += len(encoding.encode(line))
        func_token_count += c["func_end"]
    return cookbook_num_tokens_from_messages(messages, encoding_name) + func_token_count


# The cookbook's own example: its notebook asserts 101 prompt tokens for gpt-4o and gpt-4o-mini and 105
# for gpt-3.5-turbo and gpt-4, the numbers the API reported.
WEATHER_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {
                        "type": "string",
                        "description": "The unit of temperature to return",
                        "enum": ["celsius", "fahrenheit"],
                    },
                },
                "required": ["location"],
            },
        },
    }
]
WEATHER_PROMPT = [
    {
        "role": "system",
        "content": "You are a helpful assistant that can answer to questions about the weather.",
    },
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]
ANSWER = {"role": "assistant", "content": "It is sunny in San Francisco."}

DRONE_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "takeoff_drone",
            "description": "Initiate the drone's takeoff sequence.",
            "parameters": {
                "type": "object",
                "properties": {
                    "altitude": {"type": "integer", "description": "Altitude in meters to take off to."}
                },
                "required": ["altitude"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "set_drone_lighting",
            "description": "Control the drone's lighting.",
            "parameters": {
                "type": "object",
                "properties": {
                    "mode": {"type": "string", "enum": ["on", "off", "blink", "sos"], "description": "Mode."},
                    "color": {"type": "string", "description": "A color name."},
                },
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "land_drone",
            "description": "Land the drone at its current location.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def _example_tokens(
    write_jsonl: Writer, example: dict[str, Any], model: str, version: str | None = None
) -> int:
    others = [chat_example(i) for i in range(10)]
    report = validate_file(write_jsonl([example, *others]), row(model, version))
    assert report.valid, report.errors
    return report.tokens.total - sum(
        validate_file(write_jsonl([e], f"one-{i}.jsonl"), row(model, version)).tokens.total
        for i, e in enumerate(others)
    )


@pytest.mark.parametrize(
    ("model", "version", "published"), [("gpt-4o-mini", None, 101), ("gpt-35-turbo", "0125", 105)]
)
def test_the_cookbook_weather_example_counts_what_the_api_reported(
    write_jsonl: Writer, model: str, version: str | None, published: int
) -> None:
    encoding = row(model, version).encoding
    answer = 3 + count_tokens("assistant", encoding) + count_tokens(ANSWER["content"], encoding)
    example = {"messages": [*WEATHER_PROMPT, ANSWER], "tools": WEATHER_TOOLS}

    tokens = _example_tokens(write_jsonl, example, model, version)

    assert cookbook_num_tokens_for_tools(WEATHER_TOOLS, WEATHER_PROMPT, encoding) == published
    assert tokens == published + answer


def test_several_tools_with_enums_and_no_parameters_match_the_cookbook(write_jsonl: Writer) -> None:
    prompt = [{"role": "system", "content": "You fly drones."}, {"role": "user", "content": "Land now."}]
    example = {"messages": [*prompt, ANSWER], "tools": DRONE_TOOLS}
    answer = 3 + count_tokens("assistant", "o200k_base") + count_tokens(ANSWER["content"], "o200k_base")

    tokens = _example_tokens(write_jsonl, example, "gpt-4.1")

    assert tokens == cookbook_num_tokens_for_tools(DRONE_TOOLS, prompt, "o200k_base") + answer
    assert tokens < cookbook_num_tokens_from_messages(prompt, "o200k_base") + answer + count_tokens(
        json.dumps(DRONE_TOOLS), "o200k_base"
    )  # far below the tokens of the tools' JSON text, which is not what the model sees


def test_a_tool_result_counts_its_tool_call_id_as_every_string_value_of_a_message(
    write_jsonl: Writer,
) -> None:
    call = {"id": "call_Abc123xyz", "type": "function", "function": {"name": "land_drone", "arguments": "{}"}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Land now."},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_Abc123xyz", "content": "landed"},
        ANSWER,
    ]
    example = {"messages": messages, "tools": DRONE_TOOLS[2:]}
    enc = "o200k_base"
    expected = (
        cookbook_num_tokens_for_tools(
            DRONE_TOOLS[2:],
            [messages[0], messages[2], messages[3]],
            enc,  # every string value, the id included
        )
        + 3
        + count_tokens("assistant", enc)
        + count_tokens("land_drone", enc)
        + count_tokens("{}", enc)  # a call counts its function name and arguments, not its id
    )

    assert _example_tokens(write_jsonl, example, "gpt-4o-mini") == expected


def test_tool_definitions_without_descriptions_or_types_are_counted_not_refused(write_jsonl: Writer) -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "ping", "parameters": {"type": "object", "properties": {"n": {}, "m": "x"}}},
        }
    ]
    example = {"messages": [{"role": "user", "content": "ping"}, ANSWER], "tools": tools}
    c = load_rules().tool_constants("o200k_base")
    described = c.function_start + count_tokens("ping:", "o200k_base") + c.properties_start
    described += 2 * c.property_key + count_tokens("n::", "o200k_base") + count_tokens("m::", "o200k_base")
    plain = cookbook_num_tokens_from_messages([{"role": "user", "content": "ping"}], "o200k_base")
    answer = 3 + count_tokens("assistant", "o200k_base") + count_tokens(ANSWER["content"], "o200k_base")

    assert _example_tokens(write_jsonl, example, "gpt-4o-mini") == plain + answer + described + c.tools_end


def test_every_encoding_in_the_matrix_has_tool_constants() -> None:
    rules = load_rules()
    for model_row in load_matrix().rows:
        assert rules.tool_constants(model_row.encoding).tools_end > 0, model_row.label
