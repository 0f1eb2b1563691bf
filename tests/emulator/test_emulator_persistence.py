"""State kept in a directory survives a restart: files and their content, jobs with events and
checkpoints, fine-tuned models, deployments; without a directory nothing is kept."""

from __future__ import annotations

from pathlib import Path

from emulator_harness import TOPICS, admin, azure_client, finished_job, processed_file

from ftstack.emulator import running_emulator


def test_a_restarted_emulator_with_a_state_dir_remembers_everything(
    tmp_path: Path, training_file: Path
) -> None:
    state_dir = tmp_path / "state"
    with running_emulator(time_scale=5000, state_dir=state_dir) as url:
        client = azure_client(url)
        uploaded = processed_file(client, training_file)
        job = finished_job(
            client,
            client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id).id,
        )
        admin(url, "PUT", "/emulator/deployments/support-bot", {"model": job.fine_tuned_model})
        events = [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]

    with running_emulator(time_scale=5000, state_dir=state_dir) as url:
        client = azure_client(url)
        again = client.fine_tuning.jobs.retrieve(job.id)
        content = client.files.content(uploaded.id).content
        answer = client.chat.completions.create(
            model="support-bot", messages=[{"role": "user", "content": "how do i pay my bill?"}]
        )
        models = [m.id for m in client.models.list()]
        events_again = [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
        checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))

    assert again.model_dump() == job.model_dump()
    assert content == training_file.read_bytes()
    assert answer.choices[0].message.content == dict(TOPICS)["pay my bill"]
    assert job.fine_tuned_model in models
    # Only the newest 3 checkpoints are kept (the final model and the 2 epochs before it).
    assert events_again == events and len(checkpoints) == min(3, job.hyperparameters.n_epochs)


def test_a_job_keeps_training_across_a_restart(tmp_path: Path, training_file: Path) -> None:
    state_dir = tmp_path / "state"
    with running_emulator(time_scale=1, state_dir=state_dir) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"

    with running_emulator(time_scale=1, state_dir=state_dir) as url:
        client = azure_client(url)
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 24 * 3600})
        assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"


def test_without_a_state_dir_a_new_emulator_starts_empty(training_file: Path) -> None:
    with running_emulator(time_scale=5000) as url:
        client = azure_client(url)
        processed_file(client, training_file)
    with running_emulator(time_scale=5000) as url:
        assert azure_client(url).files.list().data == []
