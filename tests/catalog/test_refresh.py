"""`matrix refresh` compares the file with Azure's Models API, read through the real SDK from recordings."""

from __future__ import annotations

from pathlib import Path

from ftstack.arm.models_api import list_location_models
from ftstack.arm.recorded import OfflineCredential, recorded_transport
from ftstack.catalog import load_matrix
from ftstack.catalog.drift import compare

RECORDED = Path(__file__).parent / "recorded"


def _azure(*regions: str):  # type: ignore[no-untyped-def]
    return list_location_models(
        "00000000-0000-0000-0000-000000000000",
        regions,
        credential=OfflineCredential(),
        transport=recorded_transport(RECORDED),
    )


def test_the_models_api_response_is_read_with_fine_tune_flags_and_token_limits() -> None:
    models = _azure("swedencentral")["swedencentral"]
    nano = next(m for m in models if m.name == "gpt-4.1-nano")
    assert nano.fine_tune
    assert nano.tokens_max_per_example == 32768
    assert nano.tokens_max == 2_000_000_000


def test_a_region_the_file_lists_but_azure_does_not_is_reported() -> None:
    diffs = compare(load_matrix(), _azure("swedencentral"))
    missing = [d for d in diffs if d.kind == "missing_in_azure"]
    assert [(d.model, d.version) for d in missing] == [("gpt-35-turbo", "0125")]


def test_a_fine_tunable_model_without_a_row_is_reported() -> None:
    diffs = compare(load_matrix(), _azure("swedencentral"))
    assert [(d.model, d.kind) for d in diffs if d.kind == "unknown_model"] == [("o4-mini", "unknown_model")]


def test_a_new_region_and_a_different_token_limit_are_reported() -> None:
    diffs = compare(load_matrix(), _azure("eastus2"))
    kinds = {(d.kind, d.model) for d in diffs}
    assert ("missing_in_file", "gpt-4o-mini") in kinds
    assert ("token_limit", "gpt-4o") in kinds


def test_an_agreeing_region_reports_nothing() -> None:
    matrix = load_matrix()
    azure = _azure("swedencentral")
    azure["swedencentral"] = [m for m in azure["swedencentral"] if m.name not in ("o4-mini",)]
    azure["swedencentral"] = [
        m if m.version != "0125" else type(m)(**{**m.__dict__, "fine_tune": True})
        for m in azure["swedencentral"]
    ]
    assert compare(matrix, azure) == []
