"""Inputs the engine does not know yet (a preview while the account is planned), sent to the real
`python -m pulumi.dynamic` gRPC server exactly as the engine sends them: the sentinel string on the wire,
which the server deserializes into `pulumi.output.Unknown` objects before calling the provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fine_tuning_harness import EXAMPLES, DynamicProviderProcess, job_props
from pulumi.runtime.proto import provider_pb2

ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # what the engine puts in a Struct for an unknown
ENDPOINT = "https://ftstack-dev.openai.azure.com"

StartProvider = Callable[[dict[str, str]], DynamicProviderProcess]


@pytest.fixture
def server(dynamic_provider: StartProvider) -> DynamicProviderProcess:
    """The dynamic provider process; no account is needed: check and diff never call one."""
    return dynamic_provider({})


def registered(**overrides: Any) -> dict[str, Any]:
    """Inputs as the program registers them (numbers as floats after the engine)."""
    props: dict[str, Any] = {
        "resource_name": "support-bot",
        "endpoint": ENDPOINT,
        "base_model": "gpt-4.1-mini",
        "model_version": "2025-04-14",
        "training_type": "global",
        "training_file": str(EXAMPLES / "training.jsonl"),
        "validation_file": str(EXAMPLES / "validation.jsonl"),
        "method": "supervised",
        "hyperparameters": {"n_epochs": 2.0, "batch_size": "auto"},
        "seed": 42.0,
        "suffix": "grpc",
        "wait": True,
        "wait_timeout_seconds": 60.0,
    }
    props.update(overrides)
    return props


def deployed_state() -> dict[str, Any]:
    """The state of a job trained on a known endpoint: its checked inputs and its outputs."""
    return {**job_props(ENDPOINT), "job_id": "ftjob-1", "status": "succeeded", "fine_tuned_model": "ft-1"}


def test_an_unknown_endpoint_passes_the_check_over_grpc_and_goes_back_to_the_engine_as_unknown(
    server: DynamicProviderProcess,
) -> None:
    answer = server.check_response(registered(endpoint=ENGINE_UNKNOWN), "support-bot")

    assert [(f.property, f.reason) for f in answer.failures] == []
    assert answer.inputs.fields["endpoint"].string_value == ENGINE_UNKNOWN
    assert len(answer.inputs.fields["training_file_sha256"].string_value) == 64


def test_an_unknown_hyperparameter_inside_the_mapping_passes_the_check_over_grpc(
    server: DynamicProviderProcess,
) -> None:
    answer = server.check_response(
        registered(hyperparameters={"n_epochs": ENGINE_UNKNOWN, "batch_size": 4.0}), "support-bot"
    )

    assert [(f.property, f.reason) for f in answer.failures] == []
    hyperparameters = answer.inputs.fields["hyperparameters"].struct_value.fields
    assert hyperparameters["n_epochs"].string_value == ENGINE_UNKNOWN
    assert hyperparameters["batch_size"].number_value == 4.0


def test_a_bad_known_input_still_fails_the_check_beside_an_unknown_endpoint(
    server: DynamicProviderProcess,
) -> None:
    answer = server.check_response(registered(endpoint=ENGINE_UNKNOWN, suffix="has spaces"), "support-bot")

    assert [f.property for f in answer.failures] == ["suffix"]


def test_an_unknown_endpoint_whose_old_value_was_known_does_not_retrain_the_job_over_grpc(
    server: DynamicProviderProcess,
) -> None:
    state = deployed_state()
    news = {**job_props(ENDPOINT), "endpoint": ENGINE_UNKNOWN}

    answer = server.diff("ftjob-1", state, news, "support-bot")

    assert list(answer.replaces) == []
    assert answer.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_a_known_different_endpoint_still_replaces_the_job_over_grpc(server: DynamicProviderProcess) -> None:
    state = deployed_state()
    news = {**job_props(ENDPOINT), "endpoint": "https://ftstack-other.openai.azure.com"}

    answer = server.diff("ftjob-1", state, news, "support-bot")

    assert answer.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(answer.replaces) == ["endpoint"]


def test_new_data_beside_an_unknown_endpoint_still_replaces_the_job_over_grpc(
    server: DynamicProviderProcess,
) -> None:
    state = deployed_state()
    news = {**job_props(ENDPOINT), "endpoint": ENGINE_UNKNOWN, "training_file_sha256": "0" * 64}

    answer = server.diff("ftjob-1", state, news, "support-bot")

    assert list(answer.replaces) == ["training_file_sha256"]
