"""The FineTuningJob resource's inputs: normalising them, checking them before anything is uploaded,
and deciding which changes replace the job."""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftstack.fine_tuning.models import (
    HYPERPARAMETERS,
    IDENTITY_FIELDS,
    INTEGER_HYPERPARAMETERS,
    METHODS,
    TRAINING_TYPES,
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

# How the engine marks a value it does not know until the deployment (an `apply` of a resource not yet
# created, e.g. the account's endpoint in a first preview), on the wire and in `pulumi.runtime.rpc.UNKNOWN`.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def is_unknown(value: Any) -> bool:
    """True when the value, or any value inside it, is not known until the deployment.

    The engine's marker takes two forms: the sentinel string (on the wire, in mocks) and, once the dynamic
    provider has deserialized a request with `keep_unknowns=True`, a `pulumi.output.Unknown` instance.
    """
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(item) for item in value)
    # No Unknown can exist unless pulumi.output was imported; looked up so ftstack core needs no Pulumi.
    engine_unknown = getattr(sys.modules.get("pulumi.output"), "Unknown", None)
    return engine_unknown is not None and isinstance(value, engine_unknown)


def _as_sentinel(value: Any) -> Any:
    """`value` with every unknown in it as the sentinel string, which any serializer sends back as-is."""
    if isinstance(value, Mapping):
        return {key: _as_sentinel(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_sentinel(item) for item in value]
    return UNKNOWN if is_unknown(value) else value


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


def _hyperparameters(method: Any, raw: Any) -> tuple[dict[str, Any], list[Failure]]:
    """The hyperparameters typed for the API (whole numbers as int), and one failure per bad entry; an entry
    unknown during preview is kept as it is (and so are the names, when the method itself is unknown)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [("hyperparameters", "must be a mapping of name to a number or 'auto'")]
    if is_unknown(method):
        allowed: tuple[str, ...] = tuple(
            dict.fromkeys(n for names in HYPERPARAMETERS.values() for n in names)
        )
    else:
        allowed = HYPERPARAMETERS.get(method, HYPERPARAMETERS["supervised"])
    typed: dict[str, Any] = {}
    failures: list[Failure] = []
    for name, value in sorted(raw.items()):
        where = f"hyperparameters.{name}"
        if value is None:
            continue
        if name not in allowed:
            failures.append((where, f"is not a {method} hyperparameter; allowed: {', '.join(allowed)}"))
        elif is_unknown(value):
            typed[name] = value
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


def check_inputs(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """The normalised inputs (typed numbers, each data file's sha256) and every problem found, one per
    (property, reason). An input unknown during preview (`is_unknown`) is not checked: it is returned as
    the engine's sentinel, and the check of the deployment, when it is known, checks it."""
    from ftstack.catalog import CatalogError, load_matrix

    inputs = dict(news)
    failures: list[Failure] = []

    def known(name: str) -> bool:
        return not is_unknown(inputs.get(name))

    if known("resource_name") and (
        not isinstance(inputs.get("resource_name"), str) or not inputs["resource_name"]
    ):
        failures.append(("resource_name", "is required"))
    endpoint = inputs.get("endpoint")
    if known("endpoint") and not (isinstance(endpoint, str) and re.match(r"^https?://[^/\s]+", endpoint)):
        failures.append(
            ("endpoint", f"{endpoint!r} is not an account endpoint URL (https://<account>.openai.azure.com)")
        )

    training_type = inputs.get("training_type")
    if known("training_type") and training_type not in TRAINING_TYPES:
        failures.append(
            ("training_type", f"{training_type!r} is not valid; use one of {', '.join(TRAINING_TYPES)}")
        )
    method = inputs.get("method") or "supervised"
    inputs["method"] = method
    if known("method") and method not in METHODS:
        failures.append(("method", f"{method!r} is not valid; use one of {', '.join(METHODS)}"))

    row = None
    if known("base_model") and known("model_version"):
        try:
            row = load_matrix().row(str(inputs.get("base_model")), str(inputs.get("model_version")))
        except CatalogError as error:
            failures.append(("base_model", str(error)))
    if row is not None:
        if known("method") and method in METHODS and method not in row.methods:
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

    raw_hyperparameters = inputs.get("hyperparameters")
    if not (is_unknown(raw_hyperparameters) and not isinstance(raw_hyperparameters, Mapping)):
        hyperparameters, hp_failures = _hyperparameters(method, raw_hyperparameters)
        inputs["hyperparameters"] = hyperparameters
        failures.extend(hp_failures)

    seed = inputs.get("seed")
    if seed is not None and known("seed"):
        whole = _whole(seed)
        if whole is None or not 0 <= whole <= MAX_SEED:
            failures.append(("seed", f"{seed!r} is not valid; use a whole number from 0 to {MAX_SEED}"))
        else:
            inputs["seed"] = whole
    suffix = inputs.get("suffix")
    if (
        suffix is not None
        and known("suffix")
        and not (isinstance(suffix, str) and SUFFIX_PATTERN.match(suffix))
    ):
        failures.append(("suffix", f"{suffix!r} is not valid; use 1 to 40 characters from A-Z a-z 0-9 _ -"))

    if known("wait"):
        inputs["wait"] = bool(inputs.get("wait", True))
    if known("wait_timeout_seconds"):
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
        failures.extend(_check_data_file(inputs, prop, row, method))
    return {name: _as_sentinel(value) for name, value in inputs.items()}, failures


def _check_data_file(inputs: dict[str, Any], prop: str, row: ModelRow | None, method: Any) -> list[Failure]:
    """Problems of one data file input, its sha256 recorded in `inputs` when the file can be read.

    A file that does not exist yet passes when the program gave its content address: an experiment's
    subset is computed in memory during a preview and written only by the deployment (whose check then
    validates it before anything is uploaded; the upload verifies the sha256 again).
    """
    path = inputs.get(prop)
    if is_unknown(path):
        return []
    if path is None and prop == "validation_file":
        inputs["validation_file_sha256"] = None
        return []
    if not isinstance(path, str) or not path:
        return [(prop, "is required: the path of a JSONL data file")]
    if not Path(path).is_file():
        given = inputs.get(f"{prop}_sha256")
        if isinstance(given, str) and SHA256_PATTERN.match(given):
            return []
        return [(prop, f"{path}: no such file (paths are relative to the project directory)")]
    inputs[f"{prop}_sha256"] = file_sha256(path)
    if row is None or is_unknown(method):
        return []
    return _data_file_failures(prop, path, row, method)


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
    """Equal as inputs: numbers compare by value (3 == 3.0 after a round trip through the engine), and a
    new value unknown during preview counts as unchanged (the deployment's diff sees the real value)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if is_unknown(new):
        return True
    return bool(old == new)


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs whose value differs between the old state and the new inputs (unknowns do not)."""
    return [name for name in INPUT_FIELDS if not _same(olds.get(name), news.get(name))]


def replacing_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The changed inputs that mean a different job: data content, model, method, hyperparameters, seed,
    suffix, training type or account. A value unknown during preview (the account's endpoint while the
    account is planned) is not a change, so it never plans a retraining by itself."""
    return [name for name in changed_inputs(olds, news) if name in IDENTITY_FIELDS]
