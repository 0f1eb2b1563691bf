"""The FineTuningJob's inputs: what check() refuses before anything is uploaded, and what diff() replaces."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.fine_tuning.inputs import check_inputs, file_sha256, is_unknown, spec_from_props

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "support-chat"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def props(**overrides: Any) -> dict[str, Any]:
    """Valid inputs of a small supervised job on the example data, with `overrides` applied."""
    base: dict[str, Any] = {
        "resource_name": "support-bot",
        "endpoint": "https://ftstack-dev.openai.azure.com",
        "base_model": "gpt-4.1-mini",
        "model_version": "2025-04-14",
        "training_type": "global",
        "training_file": str(EXAMPLES / "training.jsonl"),
        "validation_file": str(EXAMPLES / "validation.jsonl"),
        "method": "supervised",
        "hyperparameters": {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 1.0},
        "seed": 42,
        "suffix": "support-dev",
        "wait": True,
        "wait_timeout_seconds": 600,
    }
    return {**base, **overrides}


def failures_of(news: dict[str, Any]) -> dict[str, str]:
    """check()'s failures by property (the reasons of one property joined)."""
    result = FineTuningJobProvider().check({}, news)
    found: dict[str, str] = {}
    for failure in result.failures:
        found[failure.property] = " | ".join(filter(None, [found.get(failure.property), failure.reason]))
    return found


def test_valid_inputs_pass_and_get_the_content_hash_of_each_data_file() -> None:
    result = FineTuningJobProvider().check({}, props())
    assert result.failures == []
    assert result.inputs["training_file_sha256"] == file_sha256(EXAMPLES / "training.jsonl")
    assert result.inputs["validation_file_sha256"] == file_sha256(EXAMPLES / "validation.jsonl")


def test_numbers_that_crossed_the_engine_as_floats_are_sent_as_whole_numbers() -> None:
    checked, failures = check_inputs(
        props(hyperparameters={"n_epochs": 3.0, "batch_size": 4.0, "learning_rate_multiplier": 2.0}, seed=7.0)
    )
    assert failures == []
    assert checked["hyperparameters"] == {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 2.0}
    assert isinstance(checked["hyperparameters"]["n_epochs"], int)
    assert isinstance(checked["seed"], int)


def test_an_unknown_base_model_is_refused_naming_the_models_that_can_be_trained() -> None:
    found = failures_of(props(base_model="gpt-5-turbo"))
    assert "unknown model 'gpt-5-turbo'" in found["base_model"]
    assert "gpt-4.1-mini" in found["base_model"]


def test_dpo_on_a_model_that_only_supports_supervised_training_is_refused() -> None:
    found = failures_of(
        props(base_model="gpt-4o-mini", model_version="2024-07-18", training_type="standard", method="dpo")
    )
    assert found["method"] == "gpt-4o-mini (2024-07-18) cannot be trained with dpo; it supports supervised"


def test_global_training_of_a_model_that_offers_none_is_refused() -> None:
    found = failures_of(props(base_model="gpt-35-turbo", model_version="0125"))
    assert "offers no global training" in found["training_type"]


def test_bad_hyperparameters_are_each_named_with_what_would_be_valid() -> None:
    found = failures_of(
        props(hyperparameters={"n_epochs": 0, "beta": 0.1, "learning_rate_multiplier": "fast"})
    )
    assert "positive whole number or 'auto'" in found["hyperparameters.n_epochs"]
    assert "not a supervised hyperparameter" in found["hyperparameters.beta"]
    assert "positive number or 'auto'" in found["hyperparameters.learning_rate_multiplier"]


def test_a_suffix_the_service_would_refuse_is_reported() -> None:
    found = failures_of(props(suffix="has spaces and is far too long for azure openai"))
    assert "1 to 40 characters" in found["suffix"]


def test_a_missing_training_file_is_reported_with_its_path() -> None:
    found = failures_of(props(training_file="examples/nowhere/training.jsonl"))
    assert found["training_file"] == (
        "examples/nowhere/training.jsonl: no such file (paths are relative to the project directory)"
    )


def test_an_endpoint_unknown_during_preview_is_not_an_error() -> None:
    assert "endpoint" not in failures_of(props(endpoint=UNKNOWN))


def test_the_engine_sentinel_and_unknown_objects_are_unknown_at_any_depth() -> None:
    assert is_unknown(UNKNOWN)
    assert is_unknown(Unknown())
    assert is_unknown({"n_epochs": Unknown(), "batch_size": 4})
    assert is_unknown(["a", {"b": UNKNOWN}])


def test_ordinary_values_are_known() -> None:
    assert not any(
        is_unknown(value)
        for value in (None, "", "https://a.openai.azure.com", 0, 3.0, False, {"n_epochs": 3}, ["auto"], {})
    )


def test_engine_computed_inputs_unknown_in_a_preview_pass_the_check() -> None:
    unknowns = {
        name: Unknown()
        for name in ("endpoint", "training_type", "seed", "suffix", "wait", "wait_timeout_seconds")
    }
    assert failures_of(props(**unknowns, hyperparameters={"n_epochs": Unknown(), "batch_size": 4})) == {}


def test_unknowns_come_back_from_the_check_as_the_sentinel_the_dynamic_server_can_serialize() -> None:
    result = FineTuningJobProvider().check(
        {}, props(endpoint=Unknown(), hyperparameters={"n_epochs": Unknown()})
    )
    assert result.inputs["endpoint"] == UNKNOWN
    assert result.inputs["hyperparameters"] == {"n_epochs": UNKNOWN}
    loop = asyncio.new_event_loop()
    try:
        wire = loop.run_until_complete(rpc.serialize_properties(result.inputs, {}))
    finally:
        loop.close()
    assert wire["endpoint"] == UNKNOWN
    assert wire["hyperparameters"]["n_epochs"] == UNKNOWN


def test_a_subset_the_deployment_writes_passes_the_check_when_its_content_address_is_given() -> None:
    planned = props(training_file=".ftstack/subsets/training-n12-s0.jsonl", training_file_sha256="a" * 64)
    checked, failures = check_inputs(planned)
    assert failures == []
    assert checked["training_file_sha256"] == "a" * 64


def _state(**overrides: Any) -> dict[str, Any]:
    checked, _ = check_inputs(props(**overrides))
    return {**checked, "job_id": "ftjob-1", "status": "succeeded"}


def test_new_training_data_replaces_the_job() -> None:
    old = _state()
    new = {**old, "training_file_sha256": "0" * 64}
    result = FineTuningJobProvider().diff("ftjob-1", old, new)
    assert result.changes is True
    assert result.replaces == ["training_file_sha256"]


def test_model_method_and_hyperparameter_changes_replace_the_job() -> None:
    old = _state()
    new = {
        **old,
        "model_version": "2025-05-01",
        "method": "dpo",
        "hyperparameters": {"n_epochs": 4},
    }
    assert FineTuningJobProvider().diff("ftjob-1", old, new).replaces == [
        "model_version",
        "method",
        "hyperparameters",
    ]


def test_moving_the_data_file_or_changing_the_wait_updates_in_place() -> None:
    old = _state()
    new = {**old, "training_file": "elsewhere/training.jsonl", "wait": False, "wait_timeout_seconds": 60}
    result = FineTuningJobProvider().diff("ftjob-1", old, new)
    assert result.changes is True
    assert result.replaces == []


def test_an_endpoint_unknown_in_a_preview_is_no_change_and_never_a_replace() -> None:
    old = _state()
    for unknown in (UNKNOWN, Unknown()):
        result = FineTuningJobProvider().diff("ftjob-1", old, {**old, "endpoint": unknown})
        assert result.changes is False
        assert result.replaces == []


def test_a_known_change_beside_an_unknown_hyperparameter_still_replaces_the_job() -> None:
    old = _state()
    new = {**old, "hyperparameters": {**old["hyperparameters"], "n_epochs": 4, "batch_size": Unknown()}}
    assert FineTuningJobProvider().diff("ftjob-1", old, new).replaces == ["hyperparameters"]


def test_a_known_different_endpoint_replaces_the_job() -> None:
    old = _state()
    new = {**old, "endpoint": "https://ftstack-other.openai.azure.com"}
    assert FineTuningJobProvider().diff("ftjob-1", old, new).replaces == ["endpoint"]


def test_the_same_inputs_after_an_engine_round_trip_show_no_change() -> None:
    old = _state()
    new = {**old, "hyperparameters": {"n_epochs": 3.0, "batch_size": "auto", "learning_rate_multiplier": 1.0}}
    result = FineTuningJobProvider().diff("ftjob-1", old, new)
    assert result.changes is False
    assert result.replaces == []


def test_the_adoption_key_is_stable_and_differs_per_resource_and_hyperparameters() -> None:
    one = spec_from_props(_state())
    assert one.adoption_key == spec_from_props(_state()).adoption_key
    assert one.adoption_key != spec_from_props(_state(resource_name="other-bot")).adoption_key
    assert one.adoption_key != spec_from_props(_state(hyperparameters={"n_epochs": 4})).adoption_key
    # Waiting longer is the same job.
    assert one.adoption_key == spec_from_props(_state(wait_timeout_seconds=7200)).adoption_key


def test_training_data_the_service_would_reject_is_refused_with_the_validation_summary(
    tmp_path: Path,
) -> None:
    short = tmp_path / "short.jsonl"
    lines = (EXAMPLES / "training.jsonl").read_text(encoding="utf-8-sig").splitlines()[:3]
    short.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = failures_of(props(training_file=str(short)))
    assert found["training_file"].startswith(f"{short}: invalid training file (")


def test_a_job_that_ended_failed_is_replaced_on_the_next_update_even_with_the_same_inputs() -> None:
    old = {**_state(), "status": "failed"}
    result = FineTuningJobProvider().diff("ftjob-1", old, dict(old))
    assert result.changes is True
    assert result.replaces == ["status"]
