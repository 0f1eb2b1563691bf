"""Properties of the stack-file loader, over inputs hypothesis makes up: it answers every input with a value
or one YamlInputError/StackFileError, quickly; what it accepts, Pulumi's config can carry."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftstack.config import ConfigError, StackFileError, load_stack, parse_environment, strict_yaml
from ftstack.config.problems import MAX_QUOTED_CHARS, ConfigProblem, quote_value
from ftstack.config.strict_yaml import MAX_SAFE_INTEGER, YamlInputError, load_untrusted_yaml
from tests.config.hostile_stacks import DEV_STACK, STACK, project

PROPERTY = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
# Bytes that look like YAML often enough to reach past the reader: YAML punctuation, anchors, tags, text.
yaml_fragments = st.lists(
    st.sampled_from(
        [
            b"a",
            b": ",
            b"- ",
            b"\n",
            b"  ",
            b"[",
            b"]",
            b"{",
            b"}",
            b",",
            b"&x ",
            b"*x",
            b"!!str ",
            b"!!binary ",
            b"'",
            b'"',
            b"#",
            b"? ",
            b"---\n",
            b"<<: ",
            b".nan",
            b"1e999",
            b"0x1f",
            b"\xff",
            b"\xc3",
            b"\x00",
            b"\t",
            b"9" * 30,
            b"2025-04-14",
            b"true",
            b"~",
        ]
    ),
    max_size=60,
).map(b"".join)


def _safe_for_pulumi(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= MAX_SAFE_INTEGER
    if isinstance(value, list):
        return all(_safe_for_pulumi(v) for v in value)
    if isinstance(value, dict):
        return all(_safe_for_pulumi(v) for v in value.values())
    return True


@PROPERTY
@given(st.binary(max_size=300) | yaml_fragments)
def test_any_bytes_give_a_value_or_one_yaml_input_error_quickly(data: bytes) -> None:
    start = time.perf_counter()
    try:
        value = load_untrusted_yaml(data)
    except YamlInputError as exc:
        assert "\n" not in str(exc).strip() or "is not valid YAML" in str(exc)
    else:
        json.dumps(value, allow_nan=False)  # whatever is accepted, the program's JSON config can carry
    assert time.perf_counter() - start < 1.0


@PROPERTY
@given(values)
def test_a_document_round_trips_exactly_when_pulumi_can_carry_it(value: object) -> None:
    text = yaml.safe_dump({"config": {"ftstack:x": value}}, allow_unicode=True).encode("utf-8")
    try:
        loaded = load_untrusted_yaml(text)
    except YamlInputError as exc:
        assert not _safe_for_pulumi(value), exc
        assert exc.path.startswith("config.ftstack:x")
    else:
        assert _safe_for_pulumi(value)
        # PyYAML's own reading (not `value`: safe_dump writes some characters, e.g. U+0085, as line breaks).
        assert loaded == yaml.safe_load(text)


@PROPERTY
@given(values)
def test_the_pure_python_parser_agrees_with_libyaml(value: object) -> None:
    text = yaml.safe_dump({"k": value}).encode("utf-8")

    def outcome(loader: object) -> object:
        original = strict_yaml._StrictLoader
        strict_yaml._StrictLoader = loader  # type: ignore[assignment]
        try:
            return load_untrusted_yaml(text)
        except YamlInputError as exc:
            return ("refused", exc.path)
        finally:
            strict_yaml._StrictLoader = original

    assert outcome(strict_yaml._PythonLoader) == outcome(strict_yaml._StrictLoader)


@PROPERTY
@given(
    st.sampled_from(["name", "region", "seed", "capacity", "nEpochs", "principalId", "trainingFile"]), values
)
def test_any_value_anywhere_gives_a_valid_environment_or_short_problem_lines(key: str, value: object) -> None:
    raw = yaml.safe_load(DEV_STACK)["config"]["ftstack:environment"]
    targets = {
        "name": raw,
        "region": raw["account"],
        "seed": raw["fineTuning"]["jobs"][0],
        "capacity": raw["deployments"][0],
        "nEpochs": raw["fineTuning"]["jobs"][0]["method"]["hyperparameters"],
        "principalId": raw["access"]["roleAssignments"][0],
        "trainingFile": raw["fineTuning"]["jobs"][0],
    }
    targets[key][key] = value
    try:
        parse_environment(raw)
    except ConfigError as exc:
        for line in exc.lines():
            assert "\n" not in line
            assert len(line) < 1200, line[:300]


@PROPERTY
@given(values)
def test_a_quoted_value_is_never_much_longer_than_the_limit(value: object) -> None:
    assert len(quote_value(value)) <= MAX_QUOTED_CHARS + 30


@PROPERTY
@given(st.text(min_size=81, max_size=3000))
def test_a_rendered_problem_never_repeats_a_long_quoted_value(text: str) -> None:
    line = ConfigProblem("account.region", f"{text!r} is not a known region").render("stacks/Pulumi.t.yaml")
    assert len(line) < 300


@PROPERTY
@given(data=yaml_fragments | st.binary(max_size=200))
def test_a_stack_file_is_loaded_or_refused_and_what_loads_serializes(
    tmp_path_factory: object, data: bytes
) -> None:
    folder = project(Path(tmp_path_factory.mktemp("p")), data, with_examples=False)  # type: ignore[attr-defined]
    try:
        config = load_stack(STACK, folder)
    except StackFileError as exc:
        assert "stacks/Pulumi.t.yaml" in str(exc) and "\n" not in str(exc)
    else:
        # `ftstack check` hands these to the program as JSON: it must never fail on what load_stack accepts.
        for text in config.pulumi_config().values():
            assert isinstance(text, str)
