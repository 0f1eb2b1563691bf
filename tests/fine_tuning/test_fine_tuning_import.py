"""Reading a job the state does not describe (`FineTuningJob.get`, an import by `<endpoint>|<job id>`), and
refreshing a job whose whole account is gone (deleted, not an error) or only briefly unreachable (an error)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
import openai
import pytest
from fine_tuning_harness import EXAMPLES, Emulator, job_props

from components.fine_tuning_job import INPUT_FIELDS, FineTuningJobProvider
from ftstack.fine_tuning import import_id
from ftstack.fine_tuning.client import Connection, FineTuningClient
from ftstack.fine_tuning.errors import ServiceError, ServiceUnreachableError
from ftstack.fine_tuning.import_id import ImportIdError, account_gone, split_import_id
from ftstack.fine_tuning.inputs import file_sha256

pytestmark = pytest.mark.e2e


def test_an_import_id_names_the_account_and_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTSTACK_FINE_TUNING_ENDPOINT", raising=False)
    assert split_import_id("https://acme.openai.azure.com/|ftjob-abc") == (
        "https://acme.openai.azure.com",
        "ftjob-abc",
    )
    assert split_import_id("ftjob-abc", "https://acme.openai.azure.com") == (
        "https://acme.openai.azure.com",
        "ftjob-abc",
    )
    with pytest.raises(ImportIdError, match=r"use <endpoint>\|<job id>"):
        split_import_id("ftjob-abc")
    monkeypatch.setenv("FTSTACK_FINE_TUNING_ENDPOINT", "http://127.0.0.1:9")
    assert split_import_id("ftjob-abc") == ("http://127.0.0.1:9", "ftjob-abc")


def test_a_read_with_only_an_id_returns_the_jobs_inputs_and_outputs(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    props = job_props(emulator.url, name="support-bot")
    created = provider.create(props)

    read = provider.read(f"{emulator.url}|{created.id}", {})

    assert read.id == created.id
    assert read.inputs is not None
    shown = read.inputs
    assert shown["resource_name"] == "support-bot"
    assert shown["endpoint"] == emulator.url
    assert (shown["base_model"], shown["model_version"]) == ("gpt-4.1-mini", "2025-04-14")
    assert shown["training_file_sha256"] == file_sha256(EXAMPLES / "training.jsonl")
    assert shown["validation_file_sha256"] == file_sha256(EXAMPLES / "validation.jsonl")
    assert shown["method"] == "supervised"
    assert shown["seed"] == 42
    assert shown["suffix"] == "support-test"
    # The local paths are the program's to say: the account knows only the uploaded files.
    assert shown["training_file"] is None
    assert set(INPUT_FIELDS) <= set(shown)
    assert read.outs["status"] == "succeeded"
    assert read.outs["fine_tuned_model"] == created.outs["fine_tuned_model"]
    # The inputs it shows are the ones a program declaring the same job has: no retraining is planned.
    diff = provider.diff(created.id, {**read.outs, **read.inputs}, {**props})
    assert diff.replaces == []


def test_a_get_keeps_what_the_program_gave_and_fills_in_the_rest(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url, name="support-bot"))
    given = {**dict.fromkeys(INPUT_FIELDS), "resource_name": "imported-bot", "endpoint": emulator.url}

    read = provider.read(created.id, given)

    assert read.inputs is not None
    assert read.inputs["resource_name"] == "imported-bot"
    assert read.inputs["base_model"] == "gpt-4.1-mini"


def test_a_read_of_a_job_the_account_does_not_have_reads_as_deleted(emulator: Emulator) -> None:
    assert FineTuningJobProvider().read(f"{emulator.url}|ftjob-nope", {}).id == ""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def no_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's client without the SDK's own retries (their backoff takes seconds per request)."""

    @contextmanager
    def open_client(endpoint: str) -> Iterator[FineTuningClient]:
        client = FineTuningClient(replace(Connection.for_endpoint(endpoint), max_retries=0))
        try:
            yield client
        finally:
            client.close()

    monkeypatch.setattr("components.fine_tuning_job._open_client", open_client)


@pytest.mark.usefixtures("no_client_retries")
def test_a_refresh_of_a_job_whose_account_no_longer_answers_marks_it_deleted(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url, wait=False))
    # The account is gone: nothing listens where it was (its name no longer resolving reads the same way).
    gone = {**created.outs, "endpoint": f"http://127.0.0.1:{_closed_port()}"}

    read = provider.read(created.id, gone)

    assert (read.id, read.outs) == ("", {})


@pytest.mark.usefixtures("no_client_retries")
def test_a_refresh_during_a_service_outage_is_an_error_not_a_deletion(emulator: Emulator) -> None:
    provider = FineTuningJobProvider()
    created = provider.create(job_props(emulator.url, wait=False))
    emulator.inject(route="GET /fine_tuning/jobs/{job_id}", kind="503", times=None)

    with pytest.raises(ServiceError):
        provider.read(created.id, created.outs)


def _unreachable(cause: BaseException) -> ServiceUnreachableError:
    """A ServiceUnreachableError raised the way the client raises it, from the SDK's connection error."""
    request = httpx.Request("GET", "https://gone.openai.azure.com/openai/fine_tuning/jobs/ftjob-1")
    try:
        try:
            try:
                raise cause
            except BaseException as inner:
                raise httpx.ConnectError(str(inner), request=request) from inner
        except httpx.ConnectError as connect:
            raise openai.APIConnectionError(request=request) from connect
    except openai.APIConnectionError as sdk:
        try:
            raise ServiceUnreachableError("GET fine-tuning job", None, None, sdk.message) from sdk
        except ServiceUnreachableError as error:
            return error


@pytest.mark.parametrize(
    ("cause", "gone"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), False),
        (TimeoutError("timed out"), False),
        (ConnectionResetError(104, "Connection reset by peer"), False),
    ],
)
def test_only_a_name_that_no_longer_resolves_or_a_refused_connection_means_the_account_is_gone(
    cause: BaseException, gone: bool
) -> None:
    assert account_gone(_unreachable(cause)) is gone


def test_a_job_from_outside_ftstack_shows_what_the_service_knows(emulator: Emulator) -> None:
    client = emulator.client()
    with (EXAMPLES / "training.jsonl").open("rb") as handle:
        uploaded = client.upload_file(EXAMPLES / "training.jsonl", "mine.jsonl", handle.read())
    job: dict[str, Any] = {
        "id": "ftjob-x",
        "model": "gpt-4.1-mini-2025-04-14",
        "training_file": uploaded["id"],
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": -1}}},
        "trainingType": "GlobalStandard",
    }

    shown = import_id.inputs_from_job(client, job, emulator.url)

    assert shown["resource_name"] == "ftjob-x"
    assert shown["training_type"] == "global"
    assert shown["training_file_sha256"] is None  # not named after its content: unknown
    assert (shown["method"], shown["hyperparameters"]) == ("dpo", {"beta": 0.1})
    client.close()
