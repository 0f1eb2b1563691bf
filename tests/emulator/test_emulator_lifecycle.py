"""The fine-tuning lifecycle over real HTTP through the openai SDK: upload, process, train, results."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openai
from emulator_harness import (
    KEY,
    azure_client,
    finished_job,
    processed_file,
    support_examples,
    write_jsonl,
)

METRIC_KEYS = {
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
}


def test_a_job_trains_to_a_deployable_model_through_the_azure_sdk(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    assert uploaded.status == "processed"

    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=uploaded.id,
        suffix="support",
        metadata={"stack": "dev"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
        extra_body={"trainingType": "Standard"},
    )
    assert job.status == "pending"
    assert re.fullmatch(r"ftjob-[0-9a-f]{32}", job.id)
    done = finished_job(client, job.id)

    assert done.status == "succeeded"
    assert re.fullmatch(r"gpt-4o-mini-2024-07-18\.ft-[0-9a-f]{32}", done.fine_tuned_model)
    assert done.suffix == "support" and done.metadata == {"stack": "dev"}
    assert done.trained_tokens and done.trained_tokens > 0
    messages = [e.message for e in client.fine_tuning.jobs.list_events(done.id, limit=100)]
    assert any("Training started" in m for m in messages) and messages[0].startswith("Job succeeded")
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(done.id))
    assert [c.step_number for c in checkpoints] == [72, 48, 24]
    assert all(set(c.metrics.model_dump(exclude_none=True)) == METRIC_KEYS for c in checkpoints)
    # The final epoch's checkpoint is the final model; the two before it keep their step names.
    assert checkpoints[0].fine_tuned_model_checkpoint == done.fine_tuned_model
    assert checkpoints[1].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-48"
    assert all(re.fullmatch(r"ftchkpt-[0-9a-f]{32}", c.id) for c in checkpoints)
    assert done.fine_tuned_model in [m.id for m in client.models.list()]
    assert client.models.retrieve(done.fine_tuned_model).model_dump()["fine_tune"] == done.id


def test_the_results_file_is_a_csv_of_falling_loss_per_step(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters={"n_epochs": 2}
    )
    done = finished_job(client, job.id)

    results = client.files.retrieve(done.result_files[0])
    rows = list(csv.DictReader(io.StringIO(client.files.content(results.id).text)))
    assert results.purpose == "fine-tune-results" and results.filename == "results.csv"
    # The columns the fine-tuning docs list (the sampled validation accuracy as `validation_...`).
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "validation_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    ]
    assert len(rows) == 48
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"]) / 2


def test_the_v1_surface_runs_the_same_lifecycle_through_the_openai_client(
    fast_emulator: str, training_file: Path
) -> None:
    client = openai.OpenAI(base_url=f"{fast_emulator}/openai/v1", api_key=KEY)
    uploaded = processed_file(client, training_file)
    job = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=uploaded.id)
    done = finished_job(client, job.id)

    assert done.status == "succeeded"
    reply = client.chat.completions.create(
        model=done.fine_tuned_model, messages=[{"role": "user", "content": "how do i pay my bill?"}]
    )
    assert reply.choices[0].message.content == "Go to Account > Billing in the Wave app and choose Pay now."


def test_a_file_with_fewer_than_ten_examples_ends_in_error_with_the_validation_message(
    fast_emulator: str, tmp_path: Path
) -> None:
    client = azure_client(fast_emulator)
    small = write_jsonl(tmp_path / "small.jsonl", support_examples(6))

    uploaded = processed_file(client, small)

    assert uploaded.status == "error"
    assert "10" in uploaded.status_details and "example" in uploaded.status_details
    try:
        client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
    except openai.BadRequestError as exc:
        assert "error" in str(exc.body)
    else:
        raise AssertionError("a job on a file in error was accepted")


def test_a_file_with_a_bad_role_ends_in_error_naming_the_role(fast_emulator: str, tmp_path: Path) -> None:
    client = azure_client(fast_emulator)
    lines = support_examples(12)
    lines[3]["messages"][1]["role"] = "customer"

    uploaded = processed_file(client, write_jsonl(tmp_path / "roles.jsonl", lines))

    assert uploaded.status == "error"
    assert "customer" in uploaded.status_details


def test_a_job_fails_when_its_examples_are_too_long_for_the_chosen_model(
    fast_emulator: str, tmp_path: Path
) -> None:
    client = azure_client(fast_emulator)
    lines = support_examples(12)
    # About 20,000 tokens: within the 65,536 of newer models, over gpt-35-turbo's 16,385.
    lines[0]["messages"][2]["content"] = "word " * 20_000
    uploaded = processed_file(client, write_jsonl(tmp_path / "long.jsonl", lines))
    assert uploaded.status == "processed"

    job = client.fine_tuning.jobs.create(model="gpt-35-turbo-0125", training_file=uploaded.id)
    done = finished_job(client, job.id)

    assert done.status == "failed"
    assert done.error.code == "invalid_training_file"
    assert "gpt-35-turbo-0125" in done.error.message and "token" in done.error.message


def test_a_job_fails_when_its_validation_file_is_too_long_for_the_chosen_model(
    fast_emulator: str, training_file: Path, tmp_path: Path
) -> None:
    client = azure_client(fast_emulator)
    lines = support_examples(12)
    lines[5]["messages"][2]["content"] = "word " * 20_000
    training = processed_file(client, training_file)
    validation = processed_file(client, write_jsonl(tmp_path / "validation.jsonl", lines))

    job = client.fine_tuning.jobs.create(
        model="gpt-35-turbo-0125", training_file=training.id, validation_file=validation.id
    )
    done = finished_job(client, job.id)

    assert done.status == "failed" and done.error.code == "invalid_validation_file"
    assert done.error.param == "validation_file" and "validation file" in done.error.message
