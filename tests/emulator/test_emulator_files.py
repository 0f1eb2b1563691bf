"""Files: list, get, content, delete, expiry, and import from a URL (which fails like the service's when
the URL cannot be read)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from emulator_harness import API_VERSION, KEY, admin, azure_client, processed_file, wait_until

from ftstack.emulator import running_emulator


def test_files_are_listed_read_and_deleted(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, training_file)

    listed = [f.id for f in client.files.list(purpose="fine-tune")]
    content = client.files.content(uploaded.id).content
    deleted = client.files.delete(uploaded.id)

    assert listed == [uploaded.id]
    assert content == training_file.read_bytes() and uploaded.bytes == len(content)
    assert deleted.deleted and deleted.id == uploaded.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_an_upload_answers_201_with_a_location_on_the_authoring_surface(
    fast_emulator: str, training_file: Path
) -> None:
    answer = httpx.post(
        f"{fast_emulator}/openai/files",
        params={"api-version": API_VERSION},
        headers={"api-key": KEY},
        data={
            "purpose": "fine-tune",
            "expires_after.seconds": "1209600",
            "expires_after.anchor": "created_at",
        },
        files={"file": ("train.jsonl", training_file.read_bytes())},
    )

    body = answer.json()
    assert answer.status_code == 201 and answer.headers["location"].endswith(f"/openai/files/{body['id']}")
    assert body["status"] == "pending" and body["expires_at"] == body["created_at"] + 1209600


def test_an_expiry_outside_14_to_30_days_is_refused(fast_emulator: str, training_file: Path) -> None:
    with pytest.raises(openai.BadRequestError, match="14 days"):
        azure_client(fast_emulator).files.create(
            file=("t.jsonl", training_file.read_bytes()),
            purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": 3600},
        )


@pytest.fixture
def web_server(training_file: Path) -> Iterator[str]:
    """A plain HTTP server on loopback serving the training file's directory."""
    directory = str(training_file.parent)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=directory, **kwargs)  # type: ignore[arg-type]

        def log_message(self, *_: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture
def importing_emulator() -> Iterator[str]:
    """A fast emulator that may import files from 127.0.0.1 (importing is off unless hosts are listed)."""
    with running_emulator(time_scale=5000, import_hosts=["127.0.0.1"]) as url:
        yield url


def _import(url: str, content_url: str) -> httpx.Response:
    return httpx.post(
        f"{url}/openai/files/import",
        params={"api-version": API_VERSION},
        headers={"api-key": KEY},
        json={"purpose": "fine-tune", "filename": "imported.jsonl", "content_url": content_url},
    )


def test_a_file_imported_from_a_url_is_processed(
    importing_emulator: str, web_server: str, training_file: Path
) -> None:
    answer = _import(importing_emulator, f"{web_server}/{training_file.name}")

    assert answer.status_code == 201
    client = azure_client(importing_emulator)
    imported = wait_until(
        lambda: (f := client.files.retrieve(answer.json()["id"])).status == "processed" and f
    )
    assert imported.filename == "imported.jsonl"
    assert client.files.content(imported.id).content == training_file.read_bytes()


def test_a_file_whose_url_cannot_be_read_ends_in_error(importing_emulator: str, web_server: str) -> None:
    answer = _import(importing_emulator, f"{web_server}/missing.jsonl")

    client = azure_client(importing_emulator)
    failed = wait_until(lambda: (f := client.files.retrieve(answer.json()["id"])).status == "error" and f)
    assert "fileImportFailed" in failed.status_details and "missing.jsonl" in failed.status_details


def test_a_finished_job_can_be_deleted_but_a_running_one_cannot(training_file: Path) -> None:
    with running_emulator(time_scale=1) as url:
        client = azure_client(url)
        with training_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="fine-tune")
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 120})
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded.id)
        job_url = f"{url}/openai/fine_tuning/jobs/{job.id}"

        early = httpx.delete(job_url, params={"api-version": API_VERSION}, headers={"api-key": KEY})
        admin(url, "POST", "/emulator/clock", {"advance_seconds": 24 * 3600})
        late = httpx.delete(job_url, params={"api-version": API_VERSION}, headers={"api-key": KEY})

        assert early.status_code == 409 and late.status_code == 204
        with pytest.raises(openai.NotFoundError):
            client.fine_tuning.jobs.retrieve(job.id)
