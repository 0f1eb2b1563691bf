"""The malformed-input suite: generated stack files, each refused by `config validate` and `check` with
exit 2 and one `error:` line per problem naming the file, no traceback, within a second.

The files are mutations of the shipped dev stack: its bytes (encodings, cuts, control characters), its
shape (wrong top-level types, budgets of depth, size and aliases, duplicate keys) and its values (hostile
numbers, types and strings put at many key paths). Every mutation is invalid by construction.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.config.hostile_stacks import (
    DEV_STACK,
    SECONDS,
    STACK_SOURCE,
    TARGET_SECONDS,
    Outcome,
    check,
    project,
    validate,
)

DEV = DEV_STACK.encode("utf-8")
# Where hostile values go: (key path inside ftstack:environment, what the schema wants there).
VALUE_PATHS = [
    ("name",),
    ("production",),
    ("account", "name"),
    ("account", "region"),
    ("account", "resourceGroup"),
    ("account", "networkAcls", "ipRules"),
    ("account", "tags"),
    ("access", "roleAssignments", 0, "principalId"),
    ("fineTuning", "jobs", 0, "seed"),
    ("fineTuning", "jobs", 0, "method", "hyperparameters", "nEpochs"),
    ("fineTuning", "jobs", 0, "method", "hyperparameters", "learningRateMultiplier"),
    ("fineTuning", "jobs", 0, "trainingFile"),
    ("fineTuning", "jobs", 1, "experiment", "subsets"),
    ("deployments", 0, "capacity"),
    ("deployments", 0, "model"),
]
HOSTILE_VALUES: dict[str, object] = {
    "nan": math.nan,
    "infinity": math.inf,
    "2**1100": 2**1100,
    "-2**64": -(2**64),
    "true": True,
    "null": None,
    "empty-list": [],
    "nested-lists": [[[[["x"]]]]],
    "mapping": {"unexpected": {"deep": 1}},
    "long-string": "y" * 5000,
}


def _environment() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(DEV_STACK)["config"]["ftstack:environment"]  # type: ignore[no-any-return]


def _with_value(path: tuple[str | int, ...], value: object) -> bytes:
    document = yaml.safe_load(DEV_STACK)
    node = document["config"]["ftstack:environment"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return yaml.safe_dump(document, sort_keys=False, width=10**6).encode("utf-8")


# The few (key, value) pairs the schema accepts, left out: the suite holds invalid files only.
VALID_PAIRS = {("seed", "None"), ("production", "True"), ("ipRules", "[]")}


def _valid_at(path: tuple[str | int, ...], value: object) -> bool:
    return (str(path[-1]), repr(value)) in VALID_PAIRS


def _byte_mutations() -> Iterator[tuple[str, bytes]]:
    yield "utf-16", DEV_STACK.encode("utf-16")
    yield "utf-16-be-bom", codecs.BOM_UTF16_BE + DEV_STACK.encode("utf-16-be")
    yield "utf-32", DEV_STACK.encode("utf-32")  # refused as UTF-32, not as UTF-16 (same first two bytes)
    yield "latin-1", DEV.replace(b"platform-team", b"plat\xe9form")
    yield "lone-continuation-byte", DEV.replace(b"dev: cheap", b"dev: \x80cheap")
    yield "nul-byte", DEV.replace(b"platform-team", b"platform\x00team")
    yield "escape-character", DEV.replace(b"platform-team", b"platform\x1bteam")
    yield "tab-indentation", DEV.replace(b"\n    name: dev", b"\n\tname: dev")
    yield "second-document", DEV + b"---\nconfig: {}\n"
    yield "undefined-alias", DEV.replace(b"owner: platform-team", b"owner: *nowhere")
    yield "unterminated-quote", DEV.replace(b'version: "2025-04-14"', b'version: "2025-04-14', 1)
    yield "unclosed-flow", DEV.replace(b"ipRules: [203.0.113.10/32]", b"ipRules: [203.0.113.10/32")
    yield "bad-indentation", DEV.replace(b"      name: ftstack-dev", b"        name: ftstack-dev")
    # Cut inside a multi-byte character, at several points of a non-ASCII comment.
    accented = DEV.replace(b"# dev: cheap", "# dév: chëap ünd ñice".encode())
    for cut in (3, 4, 8, 9, 13, 14):
        yield (
            f"cut-in-character-{cut}",
            accented[:cut] + accented[cut + 1 :].replace(b"name: dev", b"name: Dev!"),
        )
    # Cuts through the file before the account section is complete: a required key is always missing.
    required_by = DEV.index(b"resourceGroup")
    for fraction in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95):
        yield f"cut-at-{fraction:.0%}", DEV[: int(required_by * fraction)]


def _shape_mutations() -> Iterator[tuple[str, bytes]]:
    yield from {
        "top-list": b"- config\n",
        "top-string": b"just text\n",
        "top-number": b"42\n",
        "config-list": b"config: [a, b]\n",
        "config-string": b"config: text\n",
        "config-true": b"config: true\n",
        "environment-list": b"config:\n  ftstack:environment: [1, 2]\n",
        "environment-string": b"config:\n  ftstack:environment: dev\n",
        "environment-missing": b"config:\n  azure-native:location: francecentral\n",
        "secure-not-text": b"config:\n  ftstack:key:\n    secure: [1]\n",
        "key-not-text": b"config:\n  [a, b]: 1\n",
        "empty-key": b'config:\n  "": 1\n',
    }.items()
    yield "deep-flow", b"config:\n  ftstack:x: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    yield "deep-mappings", b"config:\n  ftstack:x: " + b"{a: " * 5_000 + b"1" + b"}" * 5_000 + b"\n"
    yield "deep-block", b"config:\n" + b"".join(b" " * (i + 2) + b"k:\n" for i in range(300))
    yield "many-values", b"config:\n  ftstack:x: [" + b"1, " * 60_000 + b"1]\n"
    yield "oversized", DEV.replace(b"platform-team", b"z" * 700_000)
    yield "long-key", b"config:\n  ? " + b"k" * 1000 + b"\n  : 1\n"
    yield (
        "alias-bomb",
        (
            b"config:\n  ftstack:bomb:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"    {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n".encode()
                for i in range(6)
            )
        ),
    )
    yield "alias-cycle", b"config:\n  ftstack:x: &x {self: *x}\n"
    yield "duplicate-top-key", DEV + b"config: {}\n"
    yield "duplicate-config-key", DEV.replace(b"config:\n", b"config:\n  ftstack:a: 1\n  ftstack:a: 2\n")
    yield (
        "duplicate-job-key",
        DEV.replace(b"          seed: 42\n", b"          seed: 42\n          seed: 43\n", 1),
    )
    yield "duplicate-bool-key", b"config:\n  ftstack:x: {true: 1, True: 2}\n"
    yield "binary-tag", DEV.replace(b"owner: platform-team", b"owner: !!binary aGVsbG8=")
    yield "python-tag", DEV.replace(b"owner: platform-team", b"owner: !!python/name:os.system")
    yield "set-tag", DEV.replace(b"owner: platform-team", b"owner: !!set {a}")
    yield "huge-integer-text", DEV.replace(b"seed: 42", b"seed: " + b"9" * 5000, 1)
    yield "hex-beyond-2**53", DEV.replace(b"seed: 42", b"seed: 0x20000000000001", 1)
    yield (
        "overflowing-float",
        DEV.replace(b"learningRateMultiplier: 1.0", b"learningRateMultiplier: 1.0e+999", 1),
    )


def _value_mutations() -> Iterator[tuple[str, bytes]]:
    for path in VALUE_PATHS:
        for label, value in HOSTILE_VALUES.items():
            if _valid_at(path, value):
                continue
            yield f"{'.'.join(map(str, path))}={label}", _with_value(path, value)


CASES = [*_byte_mutations(), *_shape_mutations(), *_value_mutations()]


def test_the_suite_holds_well_over_100_stack_files() -> None:
    assert len(CASES) >= 150
    assert len({name for name, _ in CASES}) == len(CASES)


def _assert_refused(outcome: Outcome, name: str) -> None:
    assert outcome.code == 2, (name, outcome.code, outcome.lines)
    assert outcome.lines, name
    for line in outcome.lines:
        assert line.startswith("error: "), (name, line[:200])
        assert STACK_SOURCE in line, (name, line[:200])
        assert "Traceback" not in line and "unexpected " not in line, (name, line[:200])
        assert len(line) < 1000, (name, line[:200])  # a bad value is quoted in part, never whole
    assert outcome.seconds < SECONDS, (name, outcome.seconds)


@pytest.mark.parametrize(("name", "content"), CASES, ids=[name for name, _ in CASES])
def test_a_malformed_stack_file_is_refused_by_validate_and_check(
    name: str,
    content: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = project(tmp_path, content)
    _assert_refused(validate(folder, capsys, monkeypatch), name)
    _assert_refused(check(folder, capsys, monkeypatch), name)


@pytest.mark.benchmark
def test_bench_every_malformed_stack_file_is_refused_within_a_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slowest: list[tuple[float, str]] = []
    for index, (name, content) in enumerate(CASES):
        folder = project(tmp_path / str(index), content)
        for outcome in (validate(folder, capsys, monkeypatch), check(folder, capsys, monkeypatch)):
            slowest.append((outcome.seconds, name))
    slowest.sort(reverse=True)
    with capsys.disabled():
        print(
            f"\nmalformed stack files: {len(CASES)} files, 2 commands each; slowest "
            + ", ".join(f"{name} {seconds:.2f} s" for seconds, name in slowest[:3])
        )
    assert slowest[0][0] < TARGET_SECONDS, slowest[:3]
