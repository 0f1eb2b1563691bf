"""Where the emulator answers as a real account does (each point sourced in the README): checkpoint ids
and retention, unresolved hyperparameters, `trainingType` spellings, served api-versions, metrics events,
and a pause that leaves a deployable checkpoint."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import openai
import pytest
from emulator_harness import KEY, admin, azure_client, finished_job, processed_file, wait_until

from ftstack.emulator import running_emulator


def test_only_the_last_three_checkpoints_are_kept_and_are_deployable_by_id(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters={"n_epochs": 5}
    )
    done = finished_job(client, job.id)
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(done.id))

    assert [c.step_number for c in checkpoints] == [120, 96, 72]
    assert all(re.fullmatch(r"ftchkpt-[0-9a-f]{32}", c.id) for c in checkpoints)
    admin(fast_emulator, "PUT", "/emulator/deployments/by-id", {"model": checkpoints[2].id})
    answer = client.chat.completions.create(model="by-id", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content


def test_a_created_job_shows_unresolved_hyperparameters_as_minus_one_and_no_result_files(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    created = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters={"batch_size": 2}
    )

    assert created.hyperparameters.n_epochs == -1
    assert created.hyperparameters.batch_size == 2
    assert created.result_files is None
    done = finished_job(client, created.id)
    assert done.hyperparameters.n_epochs >= 1 and len(done.result_files) == 1


def test_training_type_is_read_in_camel_case_and_developer_tier_is_accepted(
    fast_emulator: str, training_file: Path
) -> None:
    with running_emulator(region="francecentral", time_scale=5000) as url:
        client = azure_client(url)
        uploaded = processed_file(client, training_file)
        developer = client.fine_tuning.jobs.create(
            model="gpt-4.1-mini-2025-04-14",
            training_file=uploaded.id,
            extra_body={"trainingType": "developerTier"},
        )
        # The snake_case key is not Azure's: it is ignored, the job asks for Standard training, which
        # francecentral does not offer for this model.
        with pytest.raises(openai.BadRequestError, match=r"Standard training of gpt-4\.1-mini"):
            client.fine_tuning.jobs.create(
                model="gpt-4.1-mini-2025-04-14",
                training_file=uploaded.id,
                extra_body={"training_type": "GlobalStandard"},
            )
        with pytest.raises(openai.BadRequestError, match="developerTier"):
            client.fine_tuning.jobs.create(
                model="gpt-4.1-mini-2025-04-14",
                training_file=uploaded.id,
                extra_body={"trainingType": "Developer"},
            )

    assert developer.model_extra and developer.model_extra["trainingType"] == "developerTier"


def test_an_api_version_the_emulator_does_not_serve_is_a_404_naming_the_served_ones(
    fast_emulator: str,
) -> None:
    answer = httpx.get(fast_emulator + "/openai/models?api-version=2023-01-01", headers={"api-key": KEY})

    assert answer.status_code == 404
    assert "2024-10-21" in answer.json()["error"]["message"]
    stable_pause = httpx.post(
        fast_emulator + "/openai/fine_tuning/jobs/ftjob-x/pause?api-version=2024-10-21",
        headers={"api-key": KEY},
    )
    assert stable_pause.status_code == 404 and "preview" in stable_pause.json()["error"]["message"]


def test_metrics_events_carry_the_validation_metrics_when_there_is_validation_data(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    validation = processed_file(client, training_file)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, validation_file=validation.id
    )
    finished_job(client, job.id)

    metrics = [e.data for e in client.fine_tuning.jobs.list_events(job.id, limit=1000) if e.type == "metrics"]

    assert metrics and all({"valid_loss", "valid_mean_token_accuracy"} <= set(d) for d in metrics)
    assert any("full_valid_loss" in d for d in metrics)


def test_a_paused_job_gets_a_deployable_checkpoint(training_file: Path) -> None:
    with running_emulator(region="swedencentral", time_scale=1) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 80})
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
        client.fine_tuning.jobs.pause(job.id)
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 60})

        paused = wait_until(lambda: (j := client.fine_tuning.jobs.retrieve(job.id)).status == "paused" and j)
        checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
        admin(
            url, "PUT", "/emulator/deployments/paused", {"model": checkpoints[0].fine_tuned_model_checkpoint}
        )

    assert paused.status == "paused"
    assert len(checkpoints) == 1 and checkpoints[0].step_number >= 1
