"""Reading a fine-tuning job that the resource's state does not describe: `FineTuningJob.get`, an import.

The id of such a read is `<endpoint>|<job id>` (`https://NAME.openai.azure.com|ftjob-abc123`): a job id alone
does not say which account holds it. A bare job id is accepted when the endpoint is known otherwise (the
properties the read was given, or `FTSTACK_FINE_TUNING_ENDPOINT`).

What the service cannot say is left as it is known to the program: the local data file paths (the job
knows only the uploaded file's id; a file ftstack uploaded is named after its sha256, so that is recovered),
`wait` and `wait_timeout_seconds` (ftstack's own settings). The training type comes back when the service
reports `trainingType`, else stays unknown (None).

Gone or not: a refresh of a job whose account no longer answers at all (its name no longer resolves, or
nothing listens) reads as deleted; a timeout, a dropped connection or a 5xx is transient and stays an error.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from collections.abc import Mapping
from typing import Any

from ftstack.fine_tuning.adoption import FILE_PREFIX, RESOURCE_TAG
from ftstack.fine_tuning.errors import FineTuningError, ServiceUnreachableError
from ftstack.fine_tuning.runtime import Service

SEPARATOR = "|"
ENDPOINT_ENV = "FTSTACK_FINE_TUNING_ENDPOINT"  # the same override the client applies
JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
OWN_FILENAME = re.compile(rf"^{re.escape(FILE_PREFIX)}[0-9a-f]{{16}}-(?P<sha256>[0-9a-f]{{64}})\.jsonl$")
TRAINING_TYPES = {"standard": "standard", "globalstandard": "global"}
DEFAULT_WAIT_TIMEOUT_SECONDS = 12 * 3600
_NAME_RESOLUTION_TEXT = ("name or service not known", "nodename nor servname", "no address associated")


class ImportIdError(FineTuningError):
    """An import or get id that does not name an account and a job."""


def split_import_id(id_: str, endpoint: Any = None) -> tuple[str, str]:
    """The (endpoint, job id) an id names: `<endpoint>|<job id>`, or a bare job id with the endpoint from
    `endpoint` (the read's properties) or FTSTACK_FINE_TUNING_ENDPOINT."""
    given, _, job_id = id_.rpartition(SEPARATOR)
    job_id = job_id.strip()
    account = given.strip() or (endpoint if isinstance(endpoint, str) and endpoint else "")
    account = account or os.environ.get(ENDPOINT_ENV, "")
    if not JOB_ID.match(job_id) or not re.match(r"^https?://[^/\s|]+", account):
        raise ImportIdError(
            f"{id_!r} does not name a fine-tuning job: use <endpoint>{SEPARATOR}<job id>, e.g. "
            f"https://NAME.openai.azure.com{SEPARATOR}ftjob-abc123 (a bare job id needs the endpoint in "
            f"the resource's properties or {ENDPOINT_ENV})"
        )
    return account.rstrip("/"), job_id


def _mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _model(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The job's base model and version as the matrix spells them (None, None when the matrix has no row)."""
    from ftstack.catalog import load_matrix

    model = str(job.get("model") or "")
    for row in load_matrix().rows:
        if row.azure_base_model == model:
            return row.model, row.version
    return None, None


def _method(job: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job's method type and the hyperparameters it was given (`n_epochs: -1` and `auto` mean none)."""
    method = _mapping(job.get("method"))
    kind = str(method.get("type") or "supervised")
    raw = _mapping(method.get(kind)).get("hyperparameters") or job.get("hyperparameters") or {}
    hyperparameters = {
        str(k): v
        for k, v in dict(raw).items()
        if v is not None and v != "auto" and not (isinstance(v, int | float) and v < 0)
    }
    return kind, hyperparameters


def _file_sha256(service: Service, file_id: Any) -> str | None:
    """The sha256 in the name of a data file ftstack uploaded; None for another file or when it is gone."""
    if not file_id:
        return None
    try:
        name = str(service.retrieve_file(str(file_id)).get("filename") or "")
    except FineTuningError:
        return None
    match = OWN_FILENAME.match(name)
    return match.group("sha256") if match else None


def inputs_from_job(service: Service, job: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    """The resource inputs a job on the account shows, as far as the service can tell (see the module)."""
    base_model, version = _model(job)
    method, hyperparameters = _method(job)
    training_type = TRAINING_TYPES.get(str(job.get("trainingType") or job.get("training_type") or "").lower())
    metadata = _mapping(job.get("metadata"))
    seed = job.get("seed")
    return {
        "resource_name": metadata.get(RESOURCE_TAG) or str(job.get("id")),
        "endpoint": endpoint,
        "base_model": base_model,
        "model_version": version,
        "training_type": training_type,
        "training_file": None,
        "training_file_sha256": _file_sha256(service, job.get("training_file")),
        "validation_file": None,
        "validation_file_sha256": _file_sha256(service, job.get("validation_file")),
        "method": method,
        "hyperparameters": hyperparameters,
        "seed": int(seed) if isinstance(seed, int | float) and not isinstance(seed, bool) else None,
        "suffix": job.get("suffix") or None,
        "wait": True,
        "wait_timeout_seconds": DEFAULT_WAIT_TIMEOUT_SECONDS,
    }


def _causes(error: BaseException) -> list[BaseException]:
    """The error and every error it was raised from or during."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def account_gone(error: BaseException) -> bool:
    """True when the account no longer answers at all: its name does not resolve or the connection is
    refused. A timeout, a dropped connection or an HTTP answer is not (it may pass)."""
    if not isinstance(error, ServiceUnreachableError):
        return False
    for cause in _causes(error):
        if isinstance(cause, socket.gaierror):
            return cause.errno != socket.EAI_AGAIN  # "temporary failure in name resolution" may pass
        if isinstance(cause, ConnectionRefusedError):
            return True
        if isinstance(cause, OSError) and cause.errno in (errno.ECONNREFUSED,):
            return True
        text = str(cause).lower()
        if "connection refused" in text or any(part in text for part in _NAME_RESOLUTION_TEXT):
            return True
    return False
