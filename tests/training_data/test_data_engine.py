"""The engine: identical results whether run in one process or in workers, never crashes on any input,
counts tokens as documented, and describes a file's distributions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from training_files import Writer, chat_example, row

from ftstack.training_data import count_tokens, validate_file
from ftstack.training_data.chunk import scan_bytes
from ftstack.training_data.duplicates import DigestBuckets, find_duplicates
from ftstack.training_data.scan import scan_file, settings_for
from ftstack.training_data.stats import distribution, stats_from_scan


def _mixed_file(write_jsonl: Writer) -> Path:
    lines: list[Any] = []
    for i in range(300):
        if i % 37 == 5:
            lines.append('{"messages": [')
        elif i % 41 == 7:
            lines.append("")
        elif i % 53 == 11:
            lines.append(chat_example(3))  # a duplicate of line 4
        elif i % 29 == 13:
            lines.append({"messages": [{"role": "user", "content": f"q{i}"}]})
        else:
            lines.append(chat_example(i))
    return write_jsonl(lines)


def test_worker_processes_find_exactly_what_one_process_finds(write_jsonl: Writer) -> None:
    path = _mixed_file(write_jsonl)
    settings = settings_for(row("gpt-4o-mini"), "supervised")

    alone = scan_file(path, settings, workers=1)
    parallel = scan_file(path, settings, workers=2, chunk_bytes=2_000)

    assert alone.errors and alone.warnings
    assert parallel.errors == alone.errors
    assert parallel.warnings == alone.warnings
    assert (parallel.error_count, parallel.warning_count) == (alone.error_count, alone.warning_count)
    assert (parallel.tokens, parallel.capped_tokens) == (alone.tokens, alone.capped_tokens)
    assert parallel.token_histogram == alone.token_histogram
    assert parallel.message_histogram == alone.message_histogram
    assert parallel.duplicates == alone.duplicates == 6
    assert parallel.lines == alone.lines == 300


def test_progress_reports_bytes_up_to_the_file_size(write_jsonl: Writer) -> None:
    path = _mixed_file(write_jsonl)
    seen: list[int] = []

    scan_file(
        path,
        settings_for(row("gpt-4o-mini"), "supervised"),
        workers=2,
        chunk_bytes=4_000,
        progress=seen.append,
    )

    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size
    assert len(seen) > 3


def test_example_tokens_follow_the_chat_format_count(write_jsonl: Writer) -> None:
    example = chat_example(1)
    report = validate_file(write_jsonl([example] * 10), row("gpt-4o-mini"))
    expected = 3 + sum(
        3 + count_tokens(m["role"], "o200k_base") + count_tokens(m["content"], "o200k_base")
        for m in example["messages"]
    )
    assistant = (
        3
        + count_tokens("assistant", "o200k_base")
        + count_tokens(example["messages"][2]["content"], "o200k_base")
    )

    assert report.tokens.max_example == expected
    assert report.tokens.total == 10 * expected
    assert report.tokens.assistant == 10 * assistant
    assert report.billed_tokens_estimate == 10 * expected * 10  # 10 examples: auto picks 10 epochs


def test_weight_zero_messages_are_not_counted_as_trained_assistant_tokens(write_jsonl: Writer) -> None:
    example = chat_example(1)
    skipped = json.loads(json.dumps(example))
    skipped["messages"].insert(2, {"role": "assistant", "content": "draft answer", "weight": 0})
    skipped["messages"].insert(3, {"role": "user", "content": "again"})

    plain = validate_file(write_jsonl([example] * 10, "a.jsonl"), row("gpt-4o-mini"))
    weighted = validate_file(write_jsonl([skipped] * 10, "b.jsonl"), row("gpt-4o-mini"))

    assert weighted.valid
    assert weighted.tokens.assistant == plain.tokens.assistant
    assert weighted.tokens.total > plain.tokens.total


def test_the_example_limit_comes_from_the_model(write_jsonl: Writer) -> None:
    long = {"messages": [{"role": "user", "content": " a" * 40_000}, {"role": "assistant", "content": "ok"}]}
    path = write_jsonl([long] + [chat_example(i) for i in range(10)])

    nano = validate_file(path, row("gpt-4.1-nano"))
    mini = validate_file(path, row("gpt-4o-mini"))
    turbo = validate_file(path, row("gpt-35-turbo", "0125"))

    assert [(f.line, f.code) for f in nano.errors] == [(1, "example_too_long")]
    assert "32,768" in nano.errors[0].message
    assert (nano.tokens.limit, mini.tokens.limit, turbo.tokens.limit) == (32_768, 65_536, 16_385)
    assert mini.valid
    assert turbo.tokens.encoding == "cl100k_base" and not turbo.valid


# --- robustness: nothing a user can put in a file crashes the validator ---

_SETTINGS = [
    settings_for(row("gpt-4o-mini"), "supervised"),
    settings_for(row("gpt-4o"), "supervised"),
    settings_for(row("gpt-4o"), "dpo"),
]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "role",
        "content",
        "name",
        "weight",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "type",
        "text",
        "image_url",
        "url",
        "detail",
        "function",
        "arguments",
        "id",
        "messages",
        "tools",
        "input",
        "preferred_output",
        "non_preferred_output",
    ]
)
_roles = st.sampled_from(["system", "user", "assistant", "tool", "function", "bot"])
_shaped = st.recursive(
    _json | _roles,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash_the_validator(data: bytes) -> None:
    for check in _SETTINGS:
        result = scan_bytes(data, 0, len(data), check)
        assert result.lines >= result.examples


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_json | _shaped, min_size=1, max_size=5))
def test_random_json_never_crashes_the_validator(values: list[Any]) -> None:
    data = "\n".join(json.dumps(v) for v in values).encode()
    for check in _SETTINGS:
        result = scan_bytes(data, 0, len(data), check)
        assert result.examples == len(values)


# --- stats ---


def test_distribution_gives_nearest_rank_percentiles() -> None:
    d = distribution(list(range(1, 101)))

    assert (d.min, d.p5, d.p50, d.p95, d.max) == (1, 6, 51, 95, 100)
    assert d.mean == 50.5
    assert distribution([]).count == 0


def test_stats_describe_messages_tokens_roles_and_epochs(write_jsonl: Writer) -> None:
    lines: list[Any] = [chat_example(i) for i in range(20)]
    lines.append(
        {"messages": [{"role": "user", "content": " a" * 33_000}, {"role": "assistant", "content": "ok"}]}
    )
    scan = scan_file(write_jsonl(lines), settings_for(row("gpt-4.1-nano"), "supervised"))

    stats = stats_from_scan(scan, None, price_per_million=25.0)
    data = stats.to_json()

    # the too-long example is counted and billed, but the distributions are over the 20 valid ones
    assert data["messages_per_example"] == {"min": 3, "p5": 3, "p50": 3, "p95": 3, "max": 3, "mean": 3.0}
    assert data["valid_examples"] == 20
    assert stats.tokens.max < 32_768
    assert data["roles"] == {"assistant": 21, "system": 20, "user": 21}
    assert data["examples_over_limit"] == 1
    assert data["epochs"] == 4 and data["epochs_auto"] is True
    assert "21 examples x 3 epochs is under 100" in stats.epochs_reason
    capped = scan.capped_tokens
    assert capped == scan.tokens - (scan.max_example - 32_768)
    assert data["billed_tokens"] == capped * 4
    assert data["estimated_cost"] == round(capped * 4 * 25.0 / 1e6, 2)
    assert stats_from_scan(scan, 2).billed_tokens == capped * 2


def test_an_empty_file_has_too_few_examples_and_nothing_else(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl([], bom=False), row("gpt-4o-mini"))

    assert [(f.line, f.code) for f in report.errors] == [(None, "too_few_examples")]
    assert report.warnings == []
    assert report.examples == 0 and report.tokens.total == 0


def test_importing_the_toolkit_loads_no_encoding_and_starts_no_process() -> None:
    program = (
        "import multiprocessing, ftstack.training_data as t\n"
        "from ftstack.training_data.tokenizer import _encoding_cached\n"
        "print(_encoding_cached.cache_info().currsize, len(multiprocessing.active_children()))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)

    assert done.stdout.split() == ["0", "0"], done.stderr


# --- worker processes inside threaded hosts (the emulator, the Pulumi provider) ---


def test_workers_are_forked_only_while_the_process_has_one_thread() -> None:
    program = (
        "import threading, time\n"
        "from ftstack.training_data.scan import worker_start_method\n"
        "alone = worker_start_method()\n"
        "stop = threading.Event()\n"
        "thread = threading.Thread(target=stop.wait)\n"
        "thread.start()\n"
        "print(alone, worker_start_method())\n"
        "stop.set()\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)

    assert done.stdout.split() == ["fork", "forkserver"], done.stderr


def test_a_scan_in_a_threaded_host_uses_safe_workers_and_finds_the_same(
    write_jsonl: Writer, tmp_path: Path
) -> None:
    path = _mixed_file(write_jsonl)
    program = (
        "import json, sys, threading\n"
        "from pathlib import Path\n"
        "from ftstack.catalog import load_matrix\n"
        "from ftstack.training_data.scan import scan_file, settings_for, worker_start_method\n"
        "settings = settings_for(load_matrix().resolve_row('gpt-4o-mini', None), 'supervised')\n"
        "out = {}\n"
        "def serve():\n"  # the scan runs on a request thread while the main thread waits, as in a server
        "    scan = scan_file(Path(sys.argv[1]), settings, workers=2, chunk_bytes=2_000)\n"
        "    out.update(method=worker_start_method(), errors=scan.error_counts, tokens=scan.tokens,\n"
        "               duplicates=scan.duplicates)\n"
        "thread = threading.Thread(target=serve)\n"
        "thread.start(); thread.join(timeout=120)\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(path)], capture_output=True, text=True, timeout=180, cwd=tmp_path
    )
    alone = scan_file(path, settings_for(row("gpt-4o-mini"), "supervised"), workers=1)

    result = json.loads(done.stdout)
    assert result["method"] == "forkserver"
    assert result["errors"] == {str(k): v for k, v in alone.error_counts.items()}
    assert (result["tokens"], result["duplicates"]) == (alone.tokens, alone.duplicates)


def test_duplicates_are_found_across_buckets_and_named_in_line_order() -> None:
    buckets = DigestBuckets()
    digests = [(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(1, 400)]
    for line, digest in enumerate(digests + digests[::-1], start=1):
        buckets.add(digest, line)

    total, shown = find_duplicates(buckets, cap=100)

    assert total == 399
    assert [f.line for f in shown] == list(range(400, 500))
    assert shown[0].message == f"same example as line {399}"
