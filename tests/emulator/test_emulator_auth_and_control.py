"""Auth (401 without a key or token, only the configured token when one is set) and job control: one
job runs at a time, pause, resume and cancel, on a clock the tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from emulator_harness import API_VERSION, admin, azure_client

from ftstack.emulator import running_emulator


def test_a_request_without_a_key_or_token_gets_401(fast_emulator: str) -> None:
    answer = httpx.get(f"{fast_emulator}/openai/files", params={"api-version": API_VERSION})

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "401"


def test_with_a_configured_token_only_that_token_is_accepted() -> None:
    with running_emulator(token="s3cret") as url:
        wrong = httpx.get(f"{url}/openai/v1/models", headers={"Authorization": "Bearer other"})
        as_bearer = httpx.get(f"{url}/openai/v1/models", headers={"Authorization": "Bearer s3cret"})
        as_key = httpx.get(
            f"{url}/openai/models", params={"api-version": API_VERSION}, headers={"api-key": "s3cret"}
        )
        admin_without = httpx.get(f"{url}/emulator/stats")

    assert wrong.status_code == 401 and admin_without.status_code == 401
    assert as_bearer.status_code == 200 and as_key.status_code == 200


def test_the_sdk_reports_a_wrong_key_as_an_authentication_error() -> None:
    with running_emulator(token="s3cret") as url, pytest.raises(openai.AuthenticationError):
        azure_client(url, key="wrong").models.list()


def test_the_authoring_surface_needs_an_api_version(fast_emulator: str) -> None:
    answer = httpx.get(f"{fast_emulator}/openai/models", headers={"api-key": "k"})

    assert answer.status_code == 404 and "api-version" in answer.json()["error"]["message"]


@pytest.fixture
def manual_clock(training_file: Path) -> Iterator[tuple[str, openai.AzureOpenAI, str]]:
    """An emulator at real-time speed (the tests jump its clock), with one processed training file."""
    with running_emulator(time_scale=1) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        _advance(url, 120)
        yield url, client, uploaded.id


def _advance(url: str, seconds: float) -> None:
    admin(url, "POST", "/emulator/clock", {"advance_seconds": seconds})


def _status(client: openai.AzureOpenAI, job_id: str) -> str:
    return client.fine_tuning.jobs.retrieve(job_id).status


def test_only_one_job_runs_at_a_time_and_the_next_starts_when_it_ends(
    manual_clock: tuple[str, openai.AzureOpenAI, str],
) -> None:
    url, client, file_id = manual_clock
    first = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    second = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)

    _advance(url, 90)
    assert (_status(client, first.id), _status(client, second.id)) == ("running", "pending")
    _advance(url, 24 * 3600)
    assert (_status(client, first.id), _status(client, second.id)) == ("succeeded", "succeeded")
    first_done, second_started = (
        client.fine_tuning.jobs.retrieve(first.id),
        client.fine_tuning.jobs.list_events(second.id, limit=100),
    )
    started = [e.created_at for e in second_started if e.message.startswith("Training started")]
    assert started == [first_done.finished_at]


def test_a_paused_job_makes_no_progress_until_it_is_resumed(
    manual_clock: tuple[str, openai.AzureOpenAI, str],
) -> None:
    url, client, file_id = manual_clock
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    _advance(url, 120)

    assert client.fine_tuning.jobs.pause(job.id).status == "pausing"
    _advance(url, 60)
    assert _status(client, job.id) == "paused"
    _advance(url, 24 * 3600)
    paused = client.fine_tuning.jobs.retrieve(job.id)
    assert paused.status == "paused" and paused.fine_tuned_model is None

    assert client.fine_tuning.jobs.resume(job.id).status == "resuming"
    _advance(url, 60)
    assert _status(client, job.id) == "running"
    _advance(url, 24 * 3600)
    assert _status(client, job.id) == "succeeded"


def test_pause_is_refused_for_a_job_that_is_not_running(
    manual_clock: tuple[str, openai.AzureOpenAI, str],
) -> None:
    _, client, file_id = manual_clock
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)

    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.pause(job.id)

    assert "only a running job can be paused" in str(caught.value)


def test_a_cancelled_job_ends_without_a_model_and_frees_the_slot(
    manual_clock: tuple[str, openai.AzureOpenAI, str],
) -> None:
    url, client, file_id = manual_clock
    first = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    second = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    _advance(url, 120)

    cancelled = client.fine_tuning.jobs.cancel(first.id)
    _advance(url, 1)

    assert cancelled.status == "cancelled" and cancelled.fine_tuned_model is None
    assert _status(client, second.id) == "running"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(first.id)
