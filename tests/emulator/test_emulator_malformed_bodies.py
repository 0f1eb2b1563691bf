"""Malformed bodies get a 400 with the service's error shape, quickly, with no traceback, on every route
that reads a body: deep JSON, bodies that are not UTF-8, NaN and infinity, odd `expires_after` digits,
bad multipart, values of the wrong type or out of range."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from emulator_harness import API_VERSION, KEY, azure_client, processed_file, support_examples, write_jsonl

from ftstack.emulator import running_emulator

pytestmark = pytest.mark.e2e

Q = f"?api-version={API_VERSION}"
JOBS = f"/openai/fine_tuning/jobs{Q}"
V1_JOBS = "/openai/v1/fine_tuning/jobs"
CHAT = f"/openai/deployments/gpt-4o-mini-2024-07-18/chat/completions{Q}"
V1_CHAT = "/openai/v1/chat/completions"
FILES = f"/openai/files{Q}"
V1_FILES = "/openai/v1/files"
IMPORT = f"/openai/files/import{Q}"
CLOCK = "/emulator/clock"
FAULTS = "/emulator/faults"
DEPLOYMENT = "/emulator/deployments/support-bot"
JSON = "application/json"
SECONDS_PER_REQUEST = 2.0

# Bodies no JSON route reads, whatever it expects.
UNREADABLE_JSON: dict[str, bytes] = {
    "deep-arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep-objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "just-too-deep": b"[" * 65 + b"]" * 65,
    "not-utf8": b'{"model": "\xff\xfe"}',
    "utf16": '{"model": "gpt-4o-mini-2024-07-18"}'.encode("utf-16"),
    "utf8-bom": b'\xef\xbb\xbf{"model": "x"}',
    "truncated": b'{"model": ',
    "nan": b'{"advance_seconds": NaN, "n": NaN, "model": NaN}',
    "infinity": b'{"advance_seconds": Infinity, "temperature": -Infinity}',
    "overflowing-float": b'{"advance_seconds": 1e999, "temperature": 1e999}',
    "five-thousand-digit-integer": b'{"n": ' + b"9" * 5000 + b"}",
    "lone-surrogate": b'{"model": "\\ud800", "messages": [{"role": "user", "content": "\\udfff"}]}',
    "raw-control-character": b'{"model": "a\x01b"}',
    "trailing-garbage": b'{"model": "x"} and more',
}
JSON_ROUTES = {"jobs": JOBS, "v1-chat": V1_CHAT, "clock": CLOCK, "faults": FAULTS}


@dataclass(frozen=True)
class Case:
    """One request the emulator must refuse with a 400."""

    method: str
    path: str
    content: bytes
    content_type: str | None = JSON
    multipart: dict[str, tuple[str, bytes] | str] | None = None


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _job(**fields: object) -> bytes:
    return _json({"model": "gpt-4o-mini-2024-07-18", "training_file": "{file_id}", **fields})


def _chat(**fields: object) -> bytes:
    return _json(
        {"model": "gpt-4o-mini-2024-07-18", "messages": [{"role": "user", "content": "hi"}], **fields}
    )


def _upload(**fields: str) -> dict[str, tuple[str, bytes] | str]:
    return {"purpose": "fine-tune", **fields, "file": ("train.jsonl", b'{"messages": []}\n')}


CASES: dict[str, Case] = {
    **{
        f"{route}-{body}": Case("PUT" if path == DEPLOYMENT else "POST", path, content)
        for route, path in JSON_ROUTES.items()
        for body, content in UNREADABLE_JSON.items()
    },
    "deployment-nan": Case("PUT", DEPLOYMENT, UNREADABLE_JSON["nan"]),
    "deployment-not-utf8": Case("PUT", DEPLOYMENT, UNREADABLE_JSON["not-utf8"]),
    "authoring-chat-deep": Case("POST", CHAT, UNREADABLE_JSON["deep-arrays"]),
    "v1-jobs-lone-surrogate": Case("POST", V1_JOBS, UNREADABLE_JSON["lone-surrogate"]),
    "import-not-utf8": Case("POST", IMPORT, UNREADABLE_JSON["not-utf8"]),
    # jobs: values of the wrong type or shape
    "job-body-a-list": Case("POST", JOBS, b"[]"),
    "job-body-a-string": Case("POST", JOBS, b'"gpt-4o-mini"'),
    "job-training-file-a-number": Case("POST", JOBS, _job(training_file=123)),
    "job-training-file-an-object": Case("POST", JOBS, _job(training_file={"id": "x"})),
    "job-method-type-a-list": Case("POST", JOBS, _job(method={"type": []})),
    "job-supervised-hyperparameters-a-number": Case(
        "POST", JOBS, _job(method={"type": "supervised", "supervised": {"hyperparameters": 5}})
    ),
    "job-epochs-a-word": Case("POST", JOBS, _job(hyperparameters={"n_epochs": "many"})),
    "job-learning-rate-huge": Case("POST", JOBS, _job(hyperparameters={"learning_rate_multiplier": 1e308})),
    "job-suffix-too-long": Case("POST", JOBS, _job(suffix="x" * 1000)),
    "job-metadata-a-string": Case("POST", JOBS, _job(metadata="x")),
    "job-hyperparameters-a-string": Case("POST", JOBS, _job(hyperparameters="x")),
    "job-supervised-a-list": Case("POST", JOBS, _job(method={"type": "supervised", "supervised": []})),
    "job-integrations-a-number": Case("POST", JOBS, _job(integrations=5)),
    "job-integrations-of-strings": Case("POST", JOBS, _job(integrations=["wandb"])),
    # chat: bounded n and max_tokens, required fields
    "chat-n-a-million": Case("POST", V1_CHAT, _chat(n=1_000_000)),
    "chat-n-129": Case("POST", V1_CHAT, _chat(n=129)),
    "chat-n-zero": Case("POST", V1_CHAT, _chat(n=0)),
    "chat-n-a-string": Case("POST", V1_CHAT, _chat(n="2")),
    "chat-n-true": Case("POST", V1_CHAT, _chat(n=True)),
    "chat-n-fractional": Case("POST", CHAT, _chat(n=1.5)),
    "chat-max-tokens-a-billion": Case("POST", V1_CHAT, _chat(max_tokens=1_000_000_000)),
    "chat-max-completion-tokens-negative": Case("POST", CHAT, _chat(max_completion_tokens=-1)),
    "chat-max-tokens-a-string": Case("POST", V1_CHAT, _chat(max_tokens="many")),
    "chat-messages-a-string": Case("POST", V1_CHAT, _chat(messages="hi")),
    "chat-messages-empty": Case("POST", V1_CHAT, _chat(messages=[])),
    "chat-model-missing": Case("POST", V1_CHAT, _json({"messages": [{"role": "user", "content": "hi"}]})),
    "chat-stream": Case("POST", V1_CHAT, _chat(stream=True)),
    # the clock: finite, not negative, not past ten years
    "clock-negative": Case("POST", CLOCK, _json({"advance_seconds": -1})),
    "clock-nan-as-text": Case("POST", CLOCK, _json({"advance_seconds": "NaN"})),
    "clock-a-boolean": Case("POST", CLOCK, _json({"advance_seconds": True})),
    "clock-centuries": Case("POST", CLOCK, _json({"advance_seconds": 1e30})),
    "clock-null": Case("POST", CLOCK, b"null"),
    "clock-missing": Case("POST", CLOCK, b"{}"),
    # faults and deployments
    "fault-unknown-kind": Case("POST", FAULTS, _json({"route": "POST /files", "kind": "explode"})),
    "fault-not-a-rule": Case("POST", FAULTS, _json([1, 2, 3])),
    "fault-too-many-rules": Case("POST", FAULTS, _json([{"route": "*", "kind": "429"}] * 300)),
    "deployment-model-a-number": Case("PUT", DEPLOYMENT, _json({"model": 5})),
    "deployment-model-huge": Case("PUT", DEPLOYMENT, _json({"model": "m" * 10_000})),
    "deployment-name-too-long": Case("PUT", "/emulator/deployments/" + "d" * 65, _json({"model": "x"})),
    "deployment-name-with-a-space": Case("PUT", "/emulator/deployments/a%20b", _json({"model": "x"})),
    # import (enabled for 127.0.0.1 here): only http(s) to a listed host
    "import-file-url": Case(
        "POST", IMPORT, _json({"purpose": "fine-tune", "filename": "a", "content_url": "file:///etc/passwd"})
    ),
    "import-unlisted-host": Case(
        "POST",
        IMPORT,
        _json({"purpose": "fine-tune", "filename": "a", "content_url": "http://169.254.169.254/"}),
    ),
    "import-credentials-in-url": Case(
        "POST",
        IMPORT,
        _json({"purpose": "fine-tune", "filename": "a", "content_url": "http://u:p@127.0.0.1/"}),
    ),
    "import-url-a-list": Case(
        "POST", IMPORT, _json({"purpose": "fine-tune", "filename": "a", "content_url": []})
    ),
    "import-bad-port": Case(
        "POST",
        IMPORT,
        _json({"purpose": "fine-tune", "filename": "a", "content_url": "http://127.0.0.1:99999/"}),
    ),
    # uploads: multipart and its fields
    "upload-superscript-expiry": Case("POST", FILES, b"", None, _upload(**{"expires_after[seconds]": "²"})),
    "upload-arabic-indic-expiry": Case(
        "POST", FILES, b"", None, _upload(**{"expires_after[seconds]": "١٢٠٩٦٠٠"})
    ),
    "upload-exponent-expiry": Case("POST", V1_FILES, b"", None, _upload(**{"expires_after[seconds]": "1e6"})),
    "upload-negative-expiry": Case("POST", FILES, b"", None, _upload(**{"expires_after[seconds]": "-5"})),
    "upload-five-thousand-digit-expiry": Case(
        "POST", FILES, b"", None, _upload(**{"expires_after[seconds]": "9" * 5000})
    ),
    "upload-unknown-anchor": Case(
        "POST",
        FILES,
        b"",
        None,
        _upload(**{"expires_after[seconds]": "1209600", "expires_after[anchor]": "x"}),
    ),
    "upload-unknown-purpose": Case("POST", FILES, b"", None, _upload(purpose="training")),
    "upload-no-file": Case("POST", FILES, b"", None, {"purpose": "fine-tune"}),
    "upload-purpose-not-utf8": Case(
        "POST",
        FILES,
        b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n\xff\xfe\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n{}\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    "upload-two-files": Case(
        "POST",
        FILES,
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{}\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="b.jsonl"\r\n\r\n{}\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    "upload-part-without-a-name": Case(
        "POST",
        FILES,
        b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
    "upload-no-boundary": Case("POST", FILES, b"--b\r\n\r\n", "multipart/form-data"),
    "upload-as-json": Case("POST", V1_FILES, _json({"file": "x", "purpose": "fine-tune"})),
    "upload-garbled-multipart": Case("POST", FILES, b"\x00\x01garbage", "multipart/form-data; boundary=b"),
}


class _Errors(logging.Handler):
    """Collects what the server logs at ERROR (an unhandled exception and its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, _Errors]]:
    """An emulator that may import from 127.0.0.1, a processed training file, and its error log."""
    errors = _Errors()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(errors)
    training = tmp_path_factory.mktemp("malformed") / "train.jsonl"
    write_jsonl(training, support_examples(12))
    try:
        with running_emulator(time_scale=5000, import_hosts=["127.0.0.1"]) as url:
            file_id = processed_file(azure_client(url), Path(training)).id
            with httpx.Client(base_url=url, timeout=10) as http:
                yield http, file_id, errors
    finally:
        logger.removeHandler(errors)


def test_the_suite_holds_at_least_fifty_bodies() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_malformed_body_is_a_400_in_the_service_error_shape(
    emulator: tuple[httpx.Client, str, _Errors], name: str
) -> None:
    http, file_id, errors = emulator
    case = CASES[name]
    headers = {"api-key": KEY}
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    content = case.content.replace(b"{file_id}", file_id.encode())
    started = time.monotonic()
    if case.multipart is not None:
        files = {k: v for k, v in case.multipart.items() if isinstance(v, tuple)}
        data = {k: v for k, v in case.multipart.items() if isinstance(v, str)}
        answer = http.request(case.method, case.path, headers=headers, data=data, files=files)
    else:
        answer = http.request(case.method, case.path, headers=headers, content=content)
    elapsed = time.monotonic() - started

    assert answer.status_code == 400, answer.text[:300]
    error = answer.json()["error"]
    assert set(error) >= {"code", "message", "type"} and error["type"] == "invalid_request_error"
    # A bad value is quoted in part (about 80 characters), never whole.
    assert isinstance(error["message"], str) and 0 < len(error["message"]) < 400, error["message"][:500]
    assert "Traceback" not in answer.text
    assert elapsed < SECONDS_PER_REQUEST
    assert [r.getMessage() for r in errors.records] == []
