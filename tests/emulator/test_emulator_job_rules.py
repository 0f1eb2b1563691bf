"""Job creation is refused or accepted the way the service decides: region and training type per the
capability matrix, known models, suffix and method rules, the queue quota, and paging back to one's job."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from emulator_harness import admin, azure_client, finished_job, processed_file

from ftstack.emulator import running_emulator


def _refusal(client: openai.AzureOpenAI, **body: object) -> dict[str, str]:
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(**body)  # type: ignore[call-overload]
    assert isinstance(caught.value.body, dict)
    return caught.value.body


def test_standard_training_is_refused_where_the_matrix_has_no_standard_region(training_file: Path) -> None:
    with running_emulator(region="francecentral", time_scale=5000) as url:
        client = azure_client(url)
        uploaded = processed_file(client, training_file)

        error = _refusal(client, model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)

    assert error["param"] == "trainingType"
    assert "francecentral" in error["message"]
    assert "northcentralus, swedencentral" in error["message"]


def test_global_training_is_accepted_in_a_global_training_region_in_any_case(training_file: Path) -> None:
    with running_emulator(region="francecentral", time_scale=5000) as url:
        client = azure_client(url)
        uploaded = processed_file(client, training_file)

        job = client.fine_tuning.jobs.create(
            model="gpt-4.1-2025-04-14",
            training_file=uploaded.id,
            extra_body={"trainingType": "globalstandard"},
        )

        assert finished_job(client, job.id).status == "succeeded"
        assert job.model_dump()["trainingType"] == "GlobalStandard"


def test_global_training_is_refused_for_a_model_without_it(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    error = _refusal(
        client,
        model="gpt-4o-mini-2024-07-18",
        training_file=uploaded.id,
        extra_body={"trainingType": "GlobalStandard"},
    )

    assert "global training is not offered for gpt-4o-mini (2024-07-18)" in error["message"]


def test_a_model_without_its_version_is_refused_with_the_full_id_to_use(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    error = _refusal(client, model="gpt-4o-mini", training_file=uploaded.id)

    assert error["param"] == "model" and "gpt-4o-mini-2024-07-18" in error["message"]


def test_a_suffix_over_40_characters_is_refused(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    error = _refusal(client, model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, suffix="s" * 41)

    assert error["param"] == "suffix" and "40" in error["message"]


def test_dpo_is_refused_for_a_model_that_only_supports_supervised(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    error = _refusal(
        client, model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, method={"type": "dpo"}
    )

    assert "does not support the dpo method" in error["message"]


def test_a_fine_tuned_model_can_be_trained_further(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    first = finished_job(
        client, client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id).id
    )

    second = client.fine_tuning.jobs.create(
        model=first.fine_tuned_model, training_file=uploaded.id, suffix="v2"
    )

    done = finished_job(client, second.id)
    assert done.status == "succeeded" and done.fine_tuned_model.startswith("gpt-4o-mini-2024-07-18.ft-")


def test_jobs_beyond_the_queue_quota_are_refused(training_file: Path) -> None:
    with running_emulator(time_scale=1, max_queued_jobs=2) as url:
        client = azure_client(url, max_retries=0)
        uploaded = processed_file_now(url, client, training_file)
        for _ in range(2):
            client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded)

        with pytest.raises(openai.RateLimitError) as caught:
            client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded)

    assert caught.value.code == "quotaExceeded"


def processed_file_now(url: str, client: openai.AzureOpenAI, path: Path) -> str:
    """Upload and jump the clock past processing; returns the file id."""
    with path.open("rb") as handle:
        uploaded = client.files.create(file=handle, purpose="fine-tune")
    admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
    return uploaded.id


def test_a_client_finds_its_job_again_by_metadata_and_paging(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    ids = [
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, metadata={"name": f"job-{i}"}
        ).id
        for i in range(3)
    ]

    first_page = client.fine_tuning.jobs.list(limit=2)
    rest = client.fine_tuning.jobs.list(limit=2, after=first_page.data[-1].id)
    mine = client.fine_tuning.jobs.list(metadata={"name": "job-1"})

    assert [j.id for j in first_page.data] == [ids[2], ids[1]] and first_page.has_more
    assert [j.id for j in rest.data] == [ids[0]] and not rest.has_more
    assert [j.id for j in mine.data] == [ids[1]]


def test_the_models_list_says_which_base_models_the_region_can_fine_tune() -> None:
    with running_emulator(region="francecentral") as url:
        models = {m.id: m.model_dump() for m in azure_client(url).models.list()}

    assert models["gpt-4.1-mini-2025-04-14"]["capabilities"]["fine_tune"] is True
    assert models["gpt-4o-mini-2024-07-18"]["capabilities"]["fine_tune"] is False
