"""Each finding code is triggered by a minimal file and absent from its fixed twin."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from training_files import Writer, chat_example, dpo_example, row

from ftstack.training_data import validate_file
from ftstack.training_data.report import report_from_scan
from ftstack.training_data.rules import load_rules
from ftstack.training_data.scan import scan_file, settings_for

SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello"}


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": [SYSTEM, *messages], **extra}


def image(url: str = "https://example.com/cat.png", detail: str = "low") -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"id": 7}'}}
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
BAD_UTF8 = json.dumps(chat(USER, ASSISTANT)).encode().replace(b"Hello", b"H\xe9llo")

# (code, model, method, broken line, fixed line); the line goes at line 4 of an otherwise valid file
LINE_CASES: list[tuple[str, str, str, Any, Any]] = [
    ("invalid_json", "gpt-4o-mini", "supervised", '{"messages": [', chat(USER, ASSISTANT)),
    ("invalid_utf8", "gpt-4o-mini", "supervised", BAD_UTF8, BAD_UTF8.replace(b"\xe9", "é".encode())),
    ("not_an_object", "gpt-4o-mini", "supervised", "[1, 2]", chat(USER, ASSISTANT)),
    ("missing_messages", "gpt-4o-mini", "supervised", {}, chat(USER, ASSISTANT)),
    ("empty_messages", "gpt-4o-mini", "supervised", {"messages": []}, chat(USER, ASSISTANT)),
    (
        "invalid_role",
        "gpt-4o-mini",
        "supervised",
        chat({"role": "bot", "content": "x"}, ASSISTANT),
        chat(USER, ASSISTANT),
    ),
    (
        "missing_content",
        "gpt-4o-mini",
        "supervised",
        chat({"role": "user"}, ASSISTANT),
        chat(USER, ASSISTANT),
    ),
    (
        "invalid_content",
        "gpt-4o-mini",
        "supervised",
        chat({"role": "user", "content": 42}, ASSISTANT),
        chat(USER, ASSISTANT),
    ),
    (
        "unknown_key",
        "gpt-4o-mini",
        "supervised",
        chat({**USER, "metadata": "x"}, ASSISTANT),
        chat(USER, ASSISTANT),
    ),
    ("no_assistant_message", "gpt-4o-mini", "supervised", chat(USER), chat(USER, ASSISTANT)),
    (
        "invalid_weight",
        "gpt-4o-mini",
        "supervised",
        chat(USER, {**ASSISTANT, "weight": 0.5}),
        chat(USER, {**ASSISTANT, "weight": 1}),
    ),
    (
        "invalid_weight",
        "gpt-4o-mini",
        "supervised",
        chat({**USER, "weight": 1}, ASSISTANT),
        chat(USER, {**ASSISTANT, "weight": 0}, ASSISTANT),
    ),
    (
        "invalid_tool_call",
        "gpt-4o-mini",
        "supervised",
        chat(
            USER,
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "lookup", "arguments": {"id": 7}}}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ASSISTANT,
            tools=TOOLS,
        ),
        chat(
            USER,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ASSISTANT,
            tools=TOOLS,
        ),
    ),
    (
        "invalid_tool_call",
        "gpt-4o-mini",
        "supervised",
        chat(
            USER,
            {"role": "assistant", "tool_calls": [{**CALL, "function": {"name": "erase", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "done"},
            ASSISTANT,
            tools=TOOLS,
        ),
        chat(
            USER,
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "lookup", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "done"},
            ASSISTANT,
            tools=TOOLS,
        ),
    ),
    (
        "tool_result_without_call",
        "gpt-4o-mini",
        "supervised",
        chat(USER, {"role": "tool", "tool_call_id": "call_1", "content": "found"}, ASSISTANT),
        chat(
            USER,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ASSISTANT,
        ),
    ),
    (
        "invalid_tools",
        "gpt-4o-mini",
        "supervised",
        chat(USER, ASSISTANT, tools={"lookup": {}}),
        chat(USER, ASSISTANT, tools=TOOLS),
    ),
    (
        "images_not_supported",
        "gpt-4o-mini",
        "supervised",
        chat({"role": "user", "content": [{"type": "text", "text": "What is it?"}, image()]}, ASSISTANT),
        chat({"role": "user", "content": [{"type": "text", "text": "What is it?"}]}, ASSISTANT),
    ),
    (
        "image_in_assistant_message",
        "gpt-4o",
        "supervised",
        chat(USER, {"role": "assistant", "content": [image()]}),
        chat({"role": "user", "content": [image()]}, ASSISTANT),
    ),
    (
        "invalid_image",
        "gpt-4o",
        "supervised",
        chat({"role": "user", "content": [image("ftp://x/cat.png")]}, ASSISTANT),
        chat({"role": "user", "content": [image("data:image/png;base64,iVBORw0KGgo=")]}, ASSISTANT),
    ),
    (
        "invalid_image",
        "gpt-4o",
        "supervised",
        chat({"role": "user", "content": [image("data:image/gif;base64,R0lGOD=")]}, ASSISTANT),
        chat({"role": "user", "content": [image("data:image/webp;base64,UklGRg==")]}, ASSISTANT),
    ),
    (
        "lone_surrogate",
        "gpt-4o-mini",
        "supervised",
        json.dumps(chat(USER, {"role": "assistant", "content": "smile \ud83d"})),
        json.dumps(chat(USER, {"role": "assistant", "content": "smile \ud83d\ude00"})),
    ),
    (
        "invalid_image_data",
        "gpt-4o",
        "supervised",
        chat({"role": "user", "content": [image("data:image/png;base64,iVBOR*w0KGgo=")]}, ASSISTANT),
        chat({"role": "user", "content": [image("data:image/png;base64,iVBORw0KGgo=")]}, ASSISTANT),
    ),
    (
        "invalid_image_data",
        "gpt-4o",
        "supervised",
        chat({"role": "user", "content": [image("data:image/png;base64,")]}, ASSISTANT),
        chat({"role": "user", "content": [image("data:image/png;base64,iVBORw0KGgo=")]}, ASSISTANT),
    ),
    (
        "too_many_images",
        "gpt-4o",
        "supervised",
        chat({"role": "user", "content": [image()] * 65}, ASSISTANT),
        chat({"role": "user", "content": [image()] * 64}, ASSISTANT),
    ),
    (
        "example_too_long",
        "gpt-4.1-nano",
        "supervised",
        chat({"role": "user", "content": " a" * 33_000}, ASSISTANT),
        chat({"role": "user", "content": " a" * 30_000}, ASSISTANT),
    ),
    (
        "missing_preferred_output",
        "gpt-4o",
        "dpo",
        {k: v for k, v in dpo_example().items() if k != "preferred_output"},
        dpo_example(),
    ),
    (
        "missing_non_preferred_output",
        "gpt-4o",
        "dpo",
        {**dpo_example(), "non_preferred_output": []},
        dpo_example(),
    ),
    ("invalid_role", "gpt-4o", "dpo", {**dpo_example(), "preferred_output": [USER]}, dpo_example()),
    (
        "no_assistant_message",
        "gpt-4o",
        "dpo",
        {**dpo_example(), "preferred_output": [{"role": "tool", "tool_call_id": "x", "content": "y"}]},
        dpo_example(),
    ),
]


@pytest.mark.parametrize(
    ("code", "model", "method", "broken", "fixed"),
    LINE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(LINE_CASES)],
)
def test_each_error_code_points_at_the_broken_line_and_vanishes_when_fixed(
    write_jsonl: Writer, code: str, model: str, method: str, broken: Any, fixed: Any
) -> None:
    make = dpo_example if method == "dpo" else chat_example
    valid = [make(i) for i in range(10)]
    bad = validate_file(write_jsonl([*valid[:3], broken, *valid[3:]], "bad.jsonl"), row(model), method)  # type: ignore[arg-type]
    good = validate_file(write_jsonl([*valid[:3], fixed, *valid[3:]], "good.jsonl"), row(model), method)  # type: ignore[arg-type]

    assert not bad.valid
    assert code in {f.code for f in bad.errors if f.line == 4}, bad.errors
    assert good.valid, good.errors
    assert good.errors == []


def test_too_few_examples_is_a_file_finding(write_jsonl: Writer) -> None:
    few = validate_file(write_jsonl([chat_example(i) for i in range(9)]), row("gpt-4o-mini"))
    enough = validate_file(write_jsonl([chat_example(i) for i in range(10)], "ten.jsonl"), row("gpt-4o-mini"))

    assert [(f.line, f.code) for f in few.errors] == [(None, "too_few_examples")]
    assert "at least 10" in few.errors[0].message
    assert enough.valid


def test_a_file_over_the_size_limit_is_refused(write_jsonl: Writer) -> None:
    # the real limit is 512 MB; the rule is read from rules.yaml, so a smaller one shows the check
    path = write_jsonl([chat_example(i) for i in range(10)])
    small_limit = replace(
        settings_for(row("gpt-4o-mini"), "supervised"),
        rules=replace(load_rules(), max_file_bytes=path.stat().st_size - 1),
    )
    big_enough = replace(small_limit, rules=replace(load_rules(), max_file_bytes=path.stat().st_size))

    refused = report_from_scan(scan_file(path, small_limit))
    accepted = report_from_scan(scan_file(path, big_enough))

    assert [(f.line, f.code) for f in refused.errors] == [(None, "file_too_large")]
    assert accepted.valid
    assert load_rules().max_file_bytes == 512 * 1024 * 1024


def test_a_file_with_more_image_examples_than_allowed_is_refused(write_jsonl: Writer) -> None:
    with_image = [
        chat({"role": "user", "content": [image(), {"type": "text", "text": f"{i}"}]}, ASSISTANT)
        for i in range(10)
    ]
    path = write_jsonl(with_image)
    settings = settings_for(row("gpt-4o"), "supervised")

    refused = report_from_scan(
        scan_file(path, replace(settings, rules=replace(load_rules(), max_image_examples_per_file=9)))
    )
    accepted = report_from_scan(scan_file(path, settings))

    assert [(f.line, f.code) for f in refused.errors] == [(None, "too_many_image_examples")]
    assert accepted.valid


def test_dpo_on_a_model_without_dpo_is_an_error(write_jsonl: Writer) -> None:
    path = write_jsonl([dpo_example(i) for i in range(10)])

    mini = validate_file(path, row("gpt-4o-mini"), "dpo")
    gpt4o = validate_file(path, row("gpt-4o"), "dpo")

    assert [f.code for f in mini.errors] == ["method_not_supported"]
    assert "supervised" in mini.errors[0].message
    assert gpt4o.valid


def test_a_dpo_file_checked_as_chat_says_to_use_dpo(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl([dpo_example(i) for i in range(10)]), row("gpt-4o"))

    assert {f.code for f in report.errors} == {"unknown_key", "missing_messages"}
    assert "--method dpo" in report.errors[0].message


# --- warnings ---


def _warnings(path: Path, model: str = "gpt-4o-mini") -> list[tuple[int | None, str]]:
    return [(f.line, f.code) for f in validate_file(path, row(model)).warnings]


def test_missing_system_message_is_a_warning_naming_the_first_example(write_jsonl: Writer) -> None:
    lines = [chat_example(i) for i in range(10)]
    without = [*lines[:5], {"messages": [USER, ASSISTANT]}, *lines[5:]]

    assert (6, "missing_system_message") in _warnings(write_jsonl(without))
    assert "missing_system_message" not in {c for _, c in _warnings(write_jsonl(lines, "ok.jsonl"))}


def test_duplicates_are_warnings_that_name_the_first_copy(write_jsonl: Writer) -> None:
    lines = [chat_example(i) for i in range(10)]
    report = validate_file(write_jsonl([*lines, lines[2]]), row("gpt-4o-mini"))
    clean = validate_file(write_jsonl(lines, "ok.jsonl"), row("gpt-4o-mini"))

    assert [(f.line, f.code, f.message) for f in report.warnings if f.code == "duplicate_example"] == [
        (11, "duplicate_example", "same example as line 3")
    ]
    assert report.valid
    assert clean.warnings == []


def test_blank_lines_are_warnings_and_lines_count_as_an_editor_shows_them(write_jsonl: Writer) -> None:
    lines: list[Any] = [chat_example(i) for i in range(10)]
    report = validate_file(
        write_jsonl(
            [*lines[:2], "   ", *lines[2:4], '{"messages": ['],
        ),
        row("gpt-4o-mini"),
    )

    assert (3, "blank_line") in [(f.line, f.code) for f in report.warnings]
    assert [(f.line, f.code) for f in report.errors if f.line] == [(6, "invalid_json")]
    assert "blank_line" not in {c for _, c in _warnings(write_jsonl(lines, "ok.jsonl"))}


def test_windows_line_endings_are_accepted(write_jsonl: Writer) -> None:
    lines = [json.dumps(chat_example(i)) + "\r" for i in range(10)]

    report = validate_file(write_jsonl(lines), row("gpt-4o-mini"))

    assert report.valid
    assert report.warnings == []


def test_a_file_without_bom_is_accepted_with_a_warning(write_jsonl: Writer) -> None:
    lines = [chat_example(i) for i in range(10)]
    without = validate_file(write_jsonl(lines, bom=False), row("gpt-4o-mini"))
    with_bom = validate_file(write_jsonl(lines, "bom.jsonl", bom=True), row("gpt-4o-mini"))

    assert without.valid
    assert [(f.line, f.code) for f in without.warnings] == [(None, "no_bom")]
    assert with_bom.warnings == []


def test_every_error_is_reported_up_to_a_cap_with_the_total(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl(["not json"] * 250), row("gpt-4o-mini"))

    assert report.error_count == 250
    assert len(report.errors) == 100
    assert [f.line for f in report.errors] == list(range(1, 101))
    assert report.to_json()["errors_not_shown"] == 150
    assert report.to_json()["error_counts"] == {"invalid_json": 250}
    assert "and 247 more errors" in report.summary()


@pytest.mark.parametrize("workers", [1, 2])
def test_the_cap_is_per_code_so_many_of_one_kind_do_not_hide_another(
    write_jsonl: Writer, workers: int
) -> None:
    unknown = [chat(USER, ASSISTANT, metadata=i) for i in range(150)]
    path = write_jsonl([*unknown, *[chat_example(i) for i in range(10)], '{"messages": ['])
    scan = scan_file(path, settings_for(row("gpt-4o-mini"), "supervised"), workers=workers, chunk_bytes=3_000)
    report: dict[str, Any] = report_from_scan(scan).to_json()

    assert report["error_counts"] == {"unknown_key": 150, "invalid_json": 1}
    shown = [(e["line"], e["code"]) for e in report["errors"]]
    assert (161, "invalid_json") in shown
    assert [line for line, code in shown if code == "unknown_key"] == list(range(1, 101))
    assert report["errors_not_shown"] == 50


def test_messages_name_json_types_and_values_not_pythons(write_jsonl: Writer) -> None:
    valid = [chat_example(i) for i in range(10)]
    lines = [
        chat({"role": "user", "content": 42}, ASSISTANT),
        chat(USER, {**ASSISTANT, "weight": True}),
        {"messages": {"role": "user"}},
    ]
    report = validate_file(write_jsonl([*valid, *lines]), row("gpt-4o-mini"))
    messages = " | ".join(f.message for f in report.errors)

    assert "content is a number" in messages
    assert "weight is true" in messages
    assert '"messages" is an object' in messages
    for python_word in (" int", " dict", "True", " str;"):
        assert python_word not in messages


def test_a_name_must_be_a_non_empty_string(write_jsonl: Writer) -> None:
    valid = [chat_example(i) for i in range(10)]
    bad = validate_file(write_jsonl([*valid, chat({**USER, "name": 7}, ASSISTANT)]), row("gpt-4o-mini"))
    good = validate_file(
        write_jsonl([*valid, chat({**USER, "name": "ann"}, ASSISTANT)], "ok.jsonl"), row("gpt-4o-mini")
    )

    assert [(f.line, f.code) for f in bad.errors] == [(11, "invalid_name")]
    assert good.valid


def test_an_image_over_the_size_limit_is_refused(write_jsonl: Writer) -> None:
    payload = "A" * 4_000  # about 3,000 bytes once decoded
    lines = [chat({"role": "user", "content": [image(f"data:image/png;base64,{payload}")]}, ASSISTANT)]
    path = write_jsonl([*lines, *[chat_example(i) for i in range(10)]])
    settings = settings_for(row("gpt-4o"), "supervised")

    refused = report_from_scan(
        scan_file(path, replace(settings, rules=replace(load_rules(), max_image_bytes=2_999)))
    )
    accepted = report_from_scan(
        scan_file(path, replace(settings, rules=replace(load_rules(), max_image_bytes=3_000)))
    )

    assert [(f.line, f.code) for f in refused.errors] == [(1, "image_too_large")]
    assert accepted.valid
    assert load_rules().max_image_bytes == 10 * 1024 * 1024


def test_tokens_times_epochs_over_the_job_quota_is_a_warning(write_jsonl: Writer) -> None:
    path = write_jsonl([chat_example(i) for i in range(10)])
    settings = settings_for(row("gpt-4o-mini"), "supervised")
    billed = validate_file(path, row("gpt-4o-mini")).billed_tokens_estimate

    over = report_from_scan(
        scan_file(path, replace(settings, rules=replace(load_rules(), max_tokens_times_epochs=billed - 1)))
    )
    within = report_from_scan(
        scan_file(path, replace(settings, rules=replace(load_rules(), max_tokens_times_epochs=billed)))
    )

    assert [(f.line, f.code) for f in over.warnings] == [(None, "tokens_times_epochs_over_quota")]
    assert over.valid and within.warnings == []


# warnings that are lines of one example: (code, model, method, example with it, its fixed twin)
WARNING_CASES: list[tuple[str, str, str, Any, Any]] = [
    (
        "tool_arguments_not_object",
        "gpt-4o-mini",
        "supervised",
        chat(
            USER,
            {
                "role": "assistant",
                "tool_calls": [{**CALL, "function": {"name": "lookup", "arguments": "[7]"}}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ASSISTANT,
            tools=TOOLS,
        ),
        chat(
            USER,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ASSISTANT,
            tools=TOOLS,
        ),
    ),
    (
        "no_trained_assistant_message",
        "gpt-4o-mini",
        "supervised",
        chat(USER, {**ASSISTANT, "weight": 0}),
        chat(USER, {**ASSISTANT, "weight": 1}),
    ),
    (
        "identical_dpo_outputs",
        "gpt-4o",
        "dpo",
        {**dpo_example(), "non_preferred_output": [{"content": "Answer 0.", "role": "assistant"}]},
        dpo_example(),
    ),
    (
        "dpo_input_ends_with_assistant",
        "gpt-4o",
        "dpo",
        {**dpo_example(), "input": {"messages": [SYSTEM, USER, ASSISTANT]}},
        {**dpo_example(), "input": {"messages": [SYSTEM, USER, ASSISTANT, USER]}},
    ),
    (
        "missing_user_message",
        "gpt-4o-mini",
        "supervised",
        chat(ASSISTANT),
        chat(USER, ASSISTANT),
    ),
]


@pytest.mark.parametrize(
    ("code", "model", "method", "broken", "fixed"),
    WARNING_CASES,
    ids=[c[0] for c in WARNING_CASES],
)
def test_each_warning_code_points_at_its_line_and_vanishes_when_fixed(
    write_jsonl: Writer, code: str, model: str, method: str, broken: Any, fixed: Any
) -> None:
    make = dpo_example if method == "dpo" else chat_example
    valid = [make(i) for i in range(1, 11)]
    bad = validate_file(write_jsonl([*valid[:3], broken, *valid[3:]], "bad.jsonl"), row(model), method)  # type: ignore[arg-type]
    good = validate_file(write_jsonl([*valid[:3], fixed, *valid[3:]], "good.jsonl"), row(model), method)  # type: ignore[arg-type]

    assert bad.valid, bad.errors  # a warning, not an error: the service's own rule is not documented
    assert (4, code) in [(f.line, f.code) for f in bad.warnings]
    assert bad.to_json()["warning_counts"] == {code: 1}
    assert good.warnings == [] and good.valid


def test_values_the_fast_canonical_form_cannot_write_still_tell_examples_apart(write_jsonl: Writer) -> None:
    # orjson writes 1e999 (an infinity once parsed) as null and refuses lone surrogates and integers past
    # 64 bits; those examples take the json module's form, so each matches only its own copies
    weight = '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": %s}]}'
    text = '{"messages": [{"role": "user", "content": "q%s"}, {"role": "assistant", "content": "a"}]}'
    lines: list[Any] = [chat_example(i) for i in range(10)]
    lines += [weight % "1e999", weight % "null", weight % "1E+999", weight % "-1e999"]  # lines 11-14
    lines += [weight % (10**30), weight % (10**30 + 1), weight % f"{10**30}"]  # lines 15-17
    lines += [text % "\\ud800", text % "\\ud801", text % "\\uD800"]  # lines 18-20

    report = validate_file(write_jsonl(lines), row("gpt-4o-mini"))

    assert [(f.line, f.message) for f in report.warnings if f.code == "duplicate_example"] == [
        (13, "same example as line 11"),
        (17, "same example as line 15"),
        (20, "same example as line 18"),
    ]


def test_a_reformatted_copy_is_a_duplicate(write_jsonl: Writer) -> None:
    lines: list[Any] = [chat_example(i) for i in range(10)]
    original = chat_example(2)
    reordered = {"messages": [dict(reversed(list(m.items()))) for m in original["messages"]]}
    reformatted = json.dumps(reordered, indent=None, separators=(" , ", " : "), ensure_ascii=True)
    near = chat_example(2)
    near["messages"][1]["content"] += " "  # a different text is a different example

    report = validate_file(write_jsonl([*lines, reformatted, near]), row("gpt-4o-mini"))

    assert [(f.line, f.message) for f in report.warnings if f.code == "duplicate_example"] == [
        (11, "same example as line 3")
    ]
