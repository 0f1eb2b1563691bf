"""The FineTuningJob resource's inputs: normalising them, checking them before anything is uploaded,
and deciding which changes replace the job."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftstack.fine_tuning.models import (
    HYPERPARAMETERS,
    IDENTITY_FIELDS,
    INTEGER_HYPERPARAMETERS,
    METHODS,
    TRAINING_TYPES,
    HyperparameterValue,
    JobSpec,
)

# Every input the resource takes, in the order a reader expects them.
INPUT_FIELDS: tuple[str, ...] = (
    "resource_name",
    "endpoint",
    "base_model",
    "model_version",
    "training_type",
    "training_file",
    "training_file_sha256",
    "validation_file",
    "validation_file_sha256",
    "method",
    "hyperparameters",
    "seed",
    "suffix",
    "wait",
    "wait_timeout_seconds",
)
# The service takes 1 to 40 characters from a-z, A-Z, 0-9, "-" and "_".
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_SEED = 2_147_483_647

if TYPE_CHECKING:
    from ftstack.catalog import ModelRow

Failure = tuple[str, str]


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of a file's content (the content address of a job's data)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _whole(value: Any) -> int | None:
    """`value` as an int when it is a whole number (gRPC turns every number into a float), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _hyperparameters(method: str, raw: Any) -> tuple[dict[str, HyperparameterValue], list[Failure]]:
    """The hyperparameters typed for the API (whole numbers as int), and one failure per bad entry."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [("hyperparameters", "must be a mapping of name to a number or 'auto'")]
    allowed = HYPERPARAMETERS.get(method, HYPERPARAMETERS["supervised"])
    typed: dict[str, HyperparameterValue] = {}
    failures: list[Failure] = []
    for name, value in sorted(raw.items()):
        where = f"hyperparameters.{name}"
        if value is None:
            continue
        if name not in allowed:
            failures.append((where, f"is not a {method} hyperparameter; allowed: {', '.join(allowed)}"))
        elif value == "auto":
            typed[name] = "auto"
        elif name in INTEGER_HYPERPARAMETERS:
            whole = _whole(value)
            if whole is None or whole < 1:
                failures.append((where, f"{value!r} is not valid; use a positive whole number or 'auto'"))
            else:
                typed[name] = whole
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
        ):
            typed[name] = float(value)
        else:
            failures.append((where, f"{value!r} is not valid; use a positive number or 'auto'"))
    return typed, failures


def _data_file_failures(prop: str, path: str, row: ModelRow, method: str) -> list[Failure]:
    """Problems of one data file against the model row: missing, unreadable, or invalid training data."""
    file = Path(path)
    if not file.is_file():
        return [(prop, f"{path}: no such file (paths are relative to the project directory)")]
    from ftstack.training_data import validate_file  # lazy: tokenizers load only when data is checked

    report = validate_file(file, row, "dpo" if method == "dpo" else "supervised")
    return [] if report.valid else [(prop, f"{path}: {report.summary()}")]


def check_inputs(news: Mapping[str, Any], unknown: object = object()) -> tuple[dict[str, Any], list[Failure]]:
    """The normalised inputs (typed numbers, each data file's sha256) and every problem found, one per
    (property, reason); `unknown` is the engine's marker for values not known during preview."""
    from ftstack.catalog import CatalogError, load_matrix

    inputs = dict(news)
    failures: list[Failure] = []

    def known(name: str) -> bool:
        return bool(inputs.get(name) != unknown)

    if not isinstance(inputs.get("resource_name"), str) or not inputs["resource_name"]:
        failures.append(("resource_name", "is required"))
    endpoint = inputs.get("endpoint")
    if known("endpoint") and not (isinstance(endpoint, str) and re.match(r"^https?://[^/\s]+", endpoint)):
        failures.append(
            ("endpoint", f"{endpoint!r} is not an account endpoint URL (https://<account>.openai.azure.com)")
        )

    training_type = inputs.get("training_type")
    if training_type not in TRAINING_TYPES:
        failures.append(
            ("training_type", f"{training_type!r} is not valid; use one of {', '.join(TRAINING_TYPES)}")
        )
    method = inputs.get("method") or "supervised"
    inputs["method"] = method
    if method not in METHODS:
        failures.append(("method", f"{method!r} is not valid; use one of {', '.join(METHODS)}"))

    row = None
    try:
        row = load_matrix().row(str(inputs.get("base_model")), str(inputs.get("model_version")))
    except CatalogError as error:
        failures.append(("base_model", str(error)))
    if row is not None:
        if method in METHODS and method not in row.methods:
            failures.append(
                (
                    "method",
                    f"{row.label} cannot be trained with {method}; it supports {', '.join(row.methods)}",
                )
            )
        if training_type == "global" and not row.global_training:
            failures.append(
                ("training_type", f"{row.label} offers no global training; use standard training")
            )

    hyperparameters, hp_failures = _hyperparameters(method, inputs.get("hyperparameters"))
    inputs["hyperparameters"] = hyperparameters
    failures.extend(hp_failures)

    seed = inputs.get("seed")
    if seed is not None:
        whole = _whole(seed)
        if whole is None or not 0 <= whole <= MAX_SEED:
            failures.append(("seed", f"{seed!r} is not valid; use a whole number from 0 to {MAX_SEED}"))
        else:
            inputs["seed"] = whole
    suffix = inputs.get("suffix")
    if suffix is not None and not (isinstance(suffix, str) and SUFFIX_PATTERN.match(suffix)):
        failures.append(("suffix", f"{suffix!r} is not valid; use 1 to 40 characters from A-Z a-z 0-9 _ -"))

    inputs["wait"] = bool(inputs.get("wait", True))
    timeout = _whole(inputs.get("wait_timeout_seconds"))
    if timeout is None or timeout < 1:
        failures.append(
            (
                "wait_timeout_seconds",
                f"{inputs.get('wait_timeout_seconds')!r} is not valid; use a positive whole number",
            )
        )
    else:
        inputs["wait_timeout_seconds"] = timeout

    for prop in ("training_file", "validation_file"):
        path = inputs.get(prop)
        if path is None and prop == "validation_file":
            inputs["validation_file_sha256"] = None
            continue
        if not isinstance(path, str) or not path:
            failures.append((prop, "is required: the path of a JSONL data file"))
            continue
        if row is not None:
            failures.extend(_data_file_failures(prop, path, row, method))
        elif not Path(path).is_file():
            failures.append((prop, f"{path}: no such file (paths are relative to the project directory)"))
        if Path(path).is_file():
            inputs[f"{prop}_sha256"] = file_sha256(path)
    return inputs, failures


def spec_from_props(props: Mapping[str, Any]) -> JobSpec:
    """The JobSpec of checked inputs (or of a resource's outputs, which carry its inputs)."""
    return JobSpec(
        resource_name=str(props["resource_name"]),
        endpoint=str(props["endpoint"]),
        base_model=str(props["base_model"]),
        model_version=str(props["model_version"]),
        training_type=str(props["training_type"]),
        training_file=str(props["training_file"]),
        training_file_sha256=str(props["training_file_sha256"]),
        validation_file=props.get("validation_file"),
        validation_file_sha256=props.get("validation_file_sha256"),
        method=str(props.get("method") or "supervised"),
        hyperparameters=_hyperparameters(
            str(props.get("method") or "supervised"), props.get("hyperparameters")
        )[0],
        seed=_whole(props.get("seed")),
        suffix=props.get("suffix"),
        wait=bool(props.get("wait", True)),
        wait_timeout_seconds=_whole(props.get("wait_timeout_seconds")) or 1,
    )


def _same(old: Any, new: Any) -> bool:
    """Equal as inputs: numbers compare by value (3 == 3.0 after a round trip through the engine)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    return bool(old == new)


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs whose value differs between the old state and the new inputs."""
    return [name for name in INPUT_FIELDS if not _same(olds.get(name), news.get(name))]


def replacing_changes(
    olds: Mapping[str, Any], news: Mapping[str, Any], unknown: object = object()
) -> list[str]:
    """The changed inputs that mean a different job: data content, model, method, hyperparameters, seed,
    suffix, training type or account. An endpoint unknown during preview is not counted as a change."""
    return [
        name for name in changed_inputs(olds, news) if name in IDENTITY_FIELDS and news.get(name) != unknown
    ]
