"""Benchmark `ftstack data validate` against the cookbook's way and the tokenizer floor.

Generates synthetic chat fine-tuning sets (varied vocabulary, multi-turn, some tool calls) of the
given sizes, then prints for each: examples/s, MB/s and peak memory of
  - ftstack: the `ftstack data validate FILE --model M --json` command (a fresh process, end to end);
  - engine: `validate_file` alone in a fresh process whose encoding is already loaded, timed like the floor;
  - baseline: OpenAI's data-prep cookbook done its way (json.loads of the whole file into a list,
    its format checks, then tiktoken per message value, assistant messages counted a second time);
  - floor: one process per core encoding the same texts the validator counts, and nothing else
    (texts extracted beforehand, encoding loaded before the clock starts).
Wall time and CPU seconds are printed side by side, each ratio in both: a loaded machine shrinks the
wall-time advantage of two worker processes but not the CPU ratio, so a regression cannot hide.
Targets (issue 18): ftstack at least 2.5x the baseline's throughput, the engine within 1.2x of the
floor's time, at 30 MB and up. A last row gives peak memory per example on a million tiny examples.
Progress goes to stderr; the generated sets live in a temp folder removed at the end (--keep keeps it).

    python scripts/bench_validate.py [--sizes 30,100] [--repeat N] [--keep] [--data-dir DIR]
                                     [--model gpt-4o-mini] [--memory-examples N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

MB = 1_000_000
_SYLLABLE_TEXT = (
    "ka lo mi ner tos va qui dre ph ul sen bri xo tha ein gr ow ly ment ing é ü ß 数据 模型 ção ñ z"
)
_COMMON_TEXT = (
    "the a to of and in is for on with your you it this that can be are not have from by at "
    "router password account billing invoice refund network error update device settings app "
    "please thanks help open click select restart enable disable check order delivery"
)
_SYLLABLES = _SYLLABLE_TEXT.split()
_COMMON = _COMMON_TEXT.split()


def _vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    words = list(_COMMON) * 40
    for _ in range(size):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.1:
            word = word.capitalize()
        if rng.random() < 0.05:
            word += rng.choice([",", ".", "?", "!", ":", ";"])
        if rng.random() < 0.03:
            word = str(rng.randint(0, 99_999))
        words.append(word)
    return words


def _text(rng: random.Random, words: list[str], low: int, high: int) -> str:
    return " ".join(rng.choices(words, k=rng.randint(low, high)))


_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "check_outage",
            "description": "Check for a network outage at a postcode.",
            "parameters": {
                "type": "object",
                "properties": {"postcode": {"type": "string"}},
                "required": ["postcode"],
            },
        },
    },
]


def _example(rng: random.Random, words: list[str], systems: list[str], n: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": rng.choice(systems)}]
    example: dict[str, Any] = {"messages": messages}
    with_tools = rng.random() < 0.15
    if with_tools:
        example["tools"] = _TOOLS
    for turn in range(rng.randint(1, 4)):
        messages.append({"role": "user", "content": _text(rng, words, 5, 80)})
        if with_tools and turn == 0:
            call_id = f"call_{n}_{turn}"
            tool = rng.choice(_TOOLS)["function"]["name"]
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": tool,
                                "arguments": json.dumps({"order_id": str(rng.randint(1, 10**6))}),
                            },
                        }
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call_id, "content": _text(rng, words, 5, 30)})
        messages.append({"role": "assistant", "content": _text(rng, words, 10, 150)})
    return example


def generate(path: Path, size_mb: int, seed: int = 7) -> None:
    """Write a synthetic chat training set of about `size_mb` MB to `path`."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    systems = [_text(rng, words, 10, 60) for _ in range(20)]
    target = size_mb * MB
    written = 0
    n = 0
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        while written < target:
            batch = []
            for _ in range(100):
                batch.append(json.dumps(_example(rng, words, systems, n), ensure_ascii=False))
                n += 1
            chunk = "\n".join(batch) + "\n"
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
    tmp.replace(path)


def generate_small(path: Path, examples: int, seed: int = 11) -> None:
    """Write `examples` tiny chat examples (about 100 bytes each): the shape where per-example memory shows."""
    rng = random.Random(seed)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        for n in range(examples):
            example = {
                "messages": [
                    {"role": "user", "content": f"q{n} {rng.choice(_COMMON)}"},
                    {"role": "assistant", "content": f"a{n} {rng.choice(_COMMON)}"},
                ]
            }
            out.write(json.dumps(example) + "\n")
    tmp.replace(path)


# --- the contenders run in fresh processes: `python bench_validate.py --run NAME FILE MODEL` ---


def _encoding_name(model: str) -> str:
    from ftstack.catalog import load_matrix

    return load_matrix().resolve_row(model, None).encoding


# tiktoken names its cache entries by the sha1 of the download URL
_TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def tiktoken_cache(folder: Path) -> Path:
    """A TIKTOKEN_CACHE_DIR holding the package's encodings under tiktoken's cache keys, so that the
    baseline can call tiktoken.get_encoding as the cookbook does, offline."""
    shipped = Path(__file__).resolve().parents[1] / "ftstack" / "training_data" / "encodings"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("o200k_base", "cl100k_base"):
        target = folder / hashlib.sha1(_TIKTOKEN_URL.format(name).encode()).hexdigest()
        if not target.exists():
            shutil.copyfile(shipped / f"{name}.tiktoken", target)
    return folder


def _cpu_now() -> float:
    # this process and the children it has reaped (pool workers, once joined)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_baseline(path: Path, model: str) -> dict[str, Any]:
    """The cookbook's checks, the cookbook's way (tiktoken.get_encoding, TIKTOKEN_CACHE_DIR set by main)."""
    import tiktoken

    start = time.perf_counter()
    with path.open(encoding="utf-8") as f:
        dataset = [json.loads(line) for line in f]
    format_errors: dict[str, int] = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            format_errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            format_errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                format_errors["message_missing_key"] += 1
            if any(
                k not in ("role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id")
                for k in message
            ):
                format_errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ("system", "user", "assistant", "function", "tool"):
                format_errors["unrecognized_role"] += 1
            content = message.get("content", None)
            function_call = message.get("function_call", None) or message.get("tool_calls", None)
            if (not content and not function_call) or not isinstance(content, str | type(None)):
                format_errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            format_errors["example_missing_assistant_message"] += 1
    encoding = tiktoken.get_encoding(_encoding_name(model))

    def num_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        num_tokens = 0
        for message in messages:
            num_tokens += 3
            for key, value in message.items():
                # the cookbook encodes every value; non-strings would crash it, so they go in as JSON
                num_tokens += len(encoding.encode(value if isinstance(value, str) else json.dumps(value)))
                if key == "name":
                    num_tokens += 1
        return num_tokens + 3

    def num_assistant_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        return sum(len(encoding.encode(m["content"] or "")) for m in messages if m["role"] == "assistant")

    n_missing_system = n_missing_user = 0
    convo_lens, assistant_lens, n_messages = [], [], []
    for ex in dataset:
        messages = ex["messages"]
        n_missing_system += not any(m["role"] == "system" for m in messages)
        n_missing_user += not any(m["role"] == "user" for m in messages)
        n_messages.append(len(messages))
        convo_lens.append(num_tokens_from_messages(messages))
        assistant_lens.append(num_assistant_tokens_from_messages(messages))
    n_too_long = sum(length > 4096 for length in convo_lens)
    return {
        "seconds": time.perf_counter() - start,
        "examples": len(dataset),
        "tokens": sum(convo_lens),
        "too_long": n_too_long,
        "errors": sum(format_errors.values()),
    }


def _tool_lines(tools: list[dict[str, Any]]) -> list[str]:
    # the texts the cookbook's num_tokens_for_tools encodes (what the validator counts for tools)
    lines = []
    for tool in tools:
        function = tool["function"]
        lines.append(f"{function['name']}:{function.get('description', '').removesuffix('.')}")
        for key, spec in function.get("parameters", {}).get("properties", {}).items():
            lines += list(spec.get("enum", ()))
            lines.append(f"{key}:{spec.get('type', '')}:{spec.get('description', '').removesuffix('.')}")
    return lines


def _texts(path: Path) -> list[str]:
    """Every text the validator tokenizes: contents, names, tool calls, tool-call ids, tool definitions."""
    texts: list[str] = []
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            ex = json.loads(line)
            if "tools" in ex:
                texts += _tool_lines(ex["tools"])
            for m in ex["messages"]:
                if isinstance(m.get("content"), str):
                    texts.append(m["content"])
                if isinstance(m.get("tool_call_id"), str):
                    texts.append(m["tool_call_id"])
                for call in m.get("tool_calls") or ():
                    texts.append(call["function"]["name"])
                    texts.append(call["function"]["arguments"])
    return texts


_FLOOR_TEXTS: list[str] = []


def _floor_worker(args: tuple[str, int, int]) -> int:
    from ftstack.training_data import get_encoding

    name, index, workers = args
    encode = get_encoding(name).encode_ordinary
    return sum(len(encode(t)) for t in _FLOOR_TEXTS[index::workers])


def run_floor(path: Path, model: str) -> dict[str, Any]:
    """One process per core encoding the validator's texts and nothing else."""
    from ftstack.training_data import get_encoding
    from ftstack.training_data.scan import default_workers

    _FLOOR_TEXTS.extend(_texts(path))
    name = _encoding_name(model)
    get_encoding(name)  # loaded before the clock starts, shared with the forked workers
    workers = default_workers()
    cpu, start = _cpu_now(), time.perf_counter()
    pool = multiprocessing.get_context("fork").Pool(workers)
    tokens = sum(pool.map(_floor_worker, [(name, i, workers) for i in range(workers)]))
    pool.close()
    pool.join()  # reaped, so the workers' CPU is counted
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_now() - cpu,
        "texts": len(_FLOOR_TEXTS),
        "tokens": tokens,
    }


def run_engine(path: Path, model: str) -> dict[str, Any]:
    """validate_file alone, its encoding loaded before the clock starts (as the floor's is)."""
    from ftstack.catalog import load_matrix
    from ftstack.training_data import get_encoding, validate_file

    row = load_matrix().resolve_row(model, None)
    get_encoding(row.encoding)
    cpu, start = _cpu_now(), time.perf_counter()
    report = validate_file(path, row)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_now() - cpu,
        "examples": report.examples,
        "tokens": report.tokens.total,
    }


def _status_bytes(field: str) -> int:
    # a field of /proc/self/status, in bytes ("VmRSS", "VmHWM": the resident set now, and its peak)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_memory(path: Path, model: str) -> dict[str, Any]:
    """How much the validating process's peak resident memory grows while it checks `path`: the
    encoding is loaded and a tiny file checked first, then the kernel's high-water mark is reset to
    the current RSS (`clear_refs`), so the growth is what the scan itself keeps or allocates."""
    from ftstack.catalog import load_matrix
    from ftstack.training_data import validate_file

    row = load_matrix().resolve_row(model, None)
    warm_up = path.with_name("tiny-few.jsonl")
    validate_file(warm_up, row)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status_bytes("VmRSS")
    report = validate_file(path, row)
    peak = _status_bytes("VmHWM")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest worker
    return {"examples": report.examples, "before": before, "peak": peak, "largest_worker": children}


# --- measuring ---


def measure(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `command`, sampling the memory of its process tree; returns wall and CPU time, peak PSS of the
    tree (shared pages split between the processes sharing them: the tree's real footprint), the peak
    RSS of its largest process (the kernel's high-water mark), and the command's JSON output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env)
        root = psutil.Process(proc.pid)
        peak_tree = peak_single = peak_root = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                tree = [root, *root.children(recursive=True)]
                memory = [p.memory_full_info() for p in tree]
                peak_tree = max(peak_tree, sum(m.pss for m in memory))
                peak_single = max(peak_single, max(m.rss for m in memory))
                peak_root = max(peak_root, memory[0].rss)
            except psutil.Error:
                pass
            time.sleep(0.2)  # sampling reads smaps: keep its cost off the measured processes
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {errors.strip()}")
    peak_single = max(peak_single, usage.ru_maxrss * 1024)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,  # the process and the workers it waited for
        "tree_pss": peak_tree,
        "max_rss": peak_single,
        "root_rss": peak_root,  # the parent alone: where per-example state is merged and kept
        "output": json.loads(output),
    }


def _timed(run: dict[str, Any], in_process: bool) -> tuple[float, float]:
    # (wall, CPU) of what a contender is judged on: the whole process, or the timed section
    if in_process:
        return run["output"]["seconds"], run["output"]["cpu"]
    return run["wall"], run["cpu"]


def _best(runs: list[dict[str, Any]], in_process: bool) -> dict[str, Any]:
    # the machine may be shared: keep the fastest run, and the highest memory seen in any run
    fastest: dict[str, Any] = min(runs, key=lambda r: _timed(r, in_process)[0])
    best = dict(fastest)
    best["seconds"], best["cpu_s"] = _timed(best, in_process)
    best["tree_pss"] = max(r["tree_pss"] for r in runs)
    best["max_rss"] = max(r["max_rss"] for r in runs)
    return best


def _progress(message: str) -> None:
    # plain lines on stderr: visible under make, in CI logs and on a terminal alike
    print(f"bench: {message}", file=sys.stderr, flush=True)


TARGET_VS_BASELINE = 2.5  # ftstack data validate's throughput over the cookbook's way, at least
TARGET_VS_FLOOR = 1.2  # the engine's time over the tokenizer floor's, at most


def _verdict(ratio: float, met: bool) -> str:
    return f"{ratio:.2f}x ({'met' if met else 'MISSED'})"


def main() -> None:
    """Generate the sets, run the contenders and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="30,100", help="comma-separated sizes in MB")
    parser.add_argument("--data-dir", type=Path, help="where to keep generated sets (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sets (default: removed)")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; the fastest counts")
    parser.add_argument(
        "--memory-examples", type=int, default=1_000_000, help="tiny examples for the memory row (0: skip)"
    )
    parser.add_argument("--run", choices=["baseline", "floor", "engine", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        runner = {"baseline": run_baseline, "floor": run_floor, "engine": run_engine, "memory": run_memory}[
            args.run
        ]
        print(json.dumps(runner(args.file, args.model)))
        return
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ftstack-bench-"))
    keep = args.keep or args.data_dir is not None
    try:
        _bench(args, data_dir)
    finally:
        if keep:
            _progress(f"generated sets kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            _progress(f"removed {data_dir} (--keep keeps it)")


def _bench(args: argparse.Namespace, data_dir: Path) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=160)
    data_dir.mkdir(parents=True, exist_ok=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tiktoken_cache(data_dir / "tiktoken-cache"))}
    validate = ["data", "validate", "--model", args.model, "--json"]
    command = [sys.executable, "-m", "ftstack.cli.data", *validate[1:]]
    # name: (command, judged on the timed section inside the process rather than the whole process)
    contenders: dict[str, tuple[list[str], bool]] = {
        "ftstack data validate": (command, False),
        "  via `ftstack` (all groups)": ([str(Path(sys.executable).with_name("ftstack")), *validate], False),
        "engine (validate_file)": ([*me, "--run", "engine", "--model", args.model], True),
        "baseline (cookbook)": ([*me, "--run", "baseline", "--model", args.model], False),
        "floor (tokenizer only)": ([*me, "--run", "floor", "--model", args.model], True),
    }
    table = Table(
        title=f"ftstack data validate vs the cookbook's way and the tokenizer floor ({args.model}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start)"
    )
    for column in (
        "file",
        "contender",
        "wall s",
        "CPU s",
        "examples/s",
        "MB/s",
        "peak PSS (tree)",
        "peak RSS (largest)",
        "vs baseline (wall / CPU)",
        "vs floor (wall / CPU)",
    ):
        table.add_column(column, justify="right" if column not in ("file", "contender") else "left")
    verdicts: list[str] = []
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]  # --sizes "": the memory row only
    steps = len(sizes) * (1 + args.repeat * len(contenders)) + (2 if args.memory_examples else 0)
    step = 0
    for size_mb in sizes:
        path = data_dir / f"synthetic-{size_mb}mb.jsonl"
        step += 1
        if not path.exists():
            _progress(f"[{step}/{steps}] generating {path.name}")
            generate(path, size_mb)
        megabytes = path.stat().st_size / MB
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
        for attempt in range(args.repeat):
            for name, (argv, _) in contenders.items():
                step += 1
                _progress(
                    f"[{step}/{steps}] {path.name}: {name.strip()} (run {attempt + 1} of {args.repeat})"
                )
                runs[name].append(measure([*argv, str(path)], env))
        best = {name: _best(runs[name], contenders[name][1]) for name in contenders}
        examples = best["ftstack data validate"]["output"]["examples"]
        base, floor = best["baseline (cookbook)"], best["floor (tokenizer only)"]
        for name, run in best.items():
            s, cpu = run["seconds"], run["cpu_s"]
            table.add_row(
                f"{megabytes:,.0f} MB",
                name,
                f"{s:.2f}",
                f"{cpu:.2f}",
                f"{examples / s:,.0f}",
                f"{megabytes / s:,.1f}",
                f"{run['tree_pss'] / 2**20:,.0f} MB",
                f"{run['max_rss'] / 2**20:,.0f} MB",
                f"{base['seconds'] / s:.2f}x / {base['cpu_s'] / cpu:.2f}x",
                f"{s / floor['seconds']:.2f}x / {cpu / floor['cpu_s']:.2f}x",
            )
        table.add_section()
        ours, engine = best["ftstack data validate"], best["engine (validate_file)"]
        speedup, cpu_speedup = base["seconds"] / ours["seconds"], base["cpu_s"] / ours["cpu_s"]
        floor_ratio, cpu_floor_ratio = engine["seconds"] / floor["seconds"], engine["cpu_s"] / floor["cpu_s"]
        verdicts.append(
            f"{megabytes:,.0f} MB: ftstack data validate has "
            f"{_verdict(speedup, speedup >= TARGET_VS_BASELINE)} the baseline's throughput in wall time "
            f"(target >= {TARGET_VS_BASELINE}x; CPU seconds {cpu_speedup:.2f}x fewer); the engine takes "
            f"{_verdict(floor_ratio, floor_ratio <= TARGET_VS_FLOOR)} the floor's wall time "
            f"(target <= {TARGET_VS_FLOOR}x; CPU {cpu_floor_ratio:.2f}x)"
        )
    console.print(table)
    if args.memory_examples:
        verdicts.append(_memory_row(args, data_dir, command, env, steps))
    console.print(
        "wall s: a fresh process (interpreter start and imports included) for the commands and the baseline; "
        "for engine and floor the timed work only, encoding already loaded. CPU s: user+system of the same "
        "span, workers included: on a loaded machine wall ratios shrink while CPU ratios hold. "
        f"Load average {os.getloadavg()[0]:.1f} at the end (the bench's own processes count in it; the one "
        "at the start, in the title, says whether others shared the machine)."
    )
    for line in verdicts:
        console.print(line)


def _memory_row(
    args: argparse.Namespace, data_dir: Path, command: list[str], env: dict[str, str], steps: int
) -> str:
    # peak memory per example: how much the validating process's peak grows on many tiny examples
    # (workers hold one chunk at a time; the parent keeps what grows with the file), measured inside
    # the process with the high-water mark reset after the encoding is loaded; then the command end
    # to end, by the kernel's peak RSS (wait4), on the big file and on a 20-example one
    few, many = data_dir / "tiny-few.jsonl", data_dir / f"tiny-{args.memory_examples}.jsonl"
    _progress(f"[{steps - 1}/{steps}] memory: generating {args.memory_examples:,} tiny examples")
    generate_small(few, 20)
    if not many.exists():
        generate_small(many, args.memory_examples)
    _progress(f"[{steps}/{steps}] memory: validate_file and ftstack data validate on {many.name}")
    me = [sys.executable, str(Path(__file__).resolve())]
    inside = measure([*me, "--run", "memory", "--model", args.model, str(many)], env)["output"]
    small, large = measure([*command, str(few)], env), measure([*command, str(many)], env)
    growth = inside["peak"] - inside["before"]
    per_example = growth / inside["examples"]
    end_to_end = (large["max_rss"] - small["max_rss"]) / args.memory_examples
    return (
        f"memory: {args.memory_examples:,} tiny examples ({many.stat().st_size / 2**20:,.0f} MiB): the "
        f"validating process's peak grows by {growth / 2**20:,.1f} MiB while it checks them, "
        f"{per_example:,.1f} bytes per example (peak {inside['peak'] / 2**20:,.0f} MiB, largest worker "
        f"{inside['largest_worker'] / 2**20:,.0f} MiB); end to end, `ftstack data validate`'s largest process "
        f"peaks at {large['max_rss'] / 2**20:,.0f} MiB against {small['max_rss'] / 2**20:,.0f} MiB for 20 examples "
        f"({end_to_end:,.1f} bytes per example; interpreter, imports and encoding included), "
        f"wall {large['wall']:.1f} s, CPU {large['cpu']:.1f} s"
    )


if __name__ == "__main__":
    main()
