"""FineTuningJob: an Azure OpenAI fine-tuning job as a Pulumi dynamic resource.

The provider class is pickled by reference (`components.fine_tuning_job.FineTuningJobProvider`), so the
`python -m pulumi.dynamic` process imports this module from the project directory: importing it has no
side effects, and the provider holds no client, token or socket (each method opens its own client).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from ftstack.fine_tuning import inputs, lifecycle
from ftstack.fine_tuning.errors import JobFailedError
from ftstack.fine_tuning.inputs import INPUT_FIELDS, file_sha256
from ftstack.fine_tuning.models import ACTIVE_STATES, ENDED_WITHOUT_MODEL

if TYPE_CHECKING:
    from ftstack.config.schema import JobConfig
    from ftstack.fine_tuning.client import FineTuningClient

OUTPUT_FIELDS: tuple[str, ...] = (
    "job_id",
    "status",
    "fine_tuned_model",
    "trained_tokens",
    "checkpoints",
    "result_files",
    "training_file_id",
    "validation_file_id",
)
TYPE_TOKEN = "pulumi-python:dynamic/ftstack:FineTuningJob"


@dataclass(frozen=True)
class FineTuningJobArgs:
    """Inputs of one fine-tuning job: where, what to train, on which data, how, and how long to wait."""

    endpoint: pulumi.Input[str]
    base_model: str
    model_version: str
    training_type: str
    training_file: str
    validation_file: str | None = None
    # The training file's content address when the program computed it in memory (an experiment's subset,
    # written only by `pulumi up`); None: the sha256 of the file on disk.
    training_file_sha256: str | None = None
    method: str = "supervised"
    hyperparameters: dict[str, int | float | str] = field(default_factory=dict)
    seed: int | None = None
    suffix: str | None = None
    wait: bool = True
    wait_timeout_seconds: int = 12 * 3600

    @classmethod
    def from_job_config(
        cls,
        job: JobConfig,
        endpoint: pulumi.Input[str],
        region: str,
        training_file_sha256: str | None = None,
    ) -> FineTuningJobArgs:
        """The args of one stack job (`fineTuning.jobs[]`), its version resolved through the matrix for the
        account's region when the stack leaves it out (`training_file_sha256`: see the field)."""
        from ftstack.catalog import TrainingType, load_matrix

        training = TrainingType(job.training_type)
        row = load_matrix().resolve_row(job.base_model, job.version, region, training, job.vision)
        hyperparameters = {k: v for k, v in job.method.hyperparameters.model_dump().items() if v is not None}
        return cls(
            endpoint=endpoint,
            base_model=row.model,
            model_version=row.version,
            training_type=training.value,
            training_file=job.training_file,
            validation_file=job.validation_file,
            training_file_sha256=training_file_sha256,
            method=job.method.type,
            hyperparameters=hyperparameters,
            seed=job.seed,
            suffix=job.suffix,
            wait=job.wait,
            wait_timeout_seconds=job.wait_timeout_minutes * 60,
        )


def _progress(resource_name: str) -> Callable[[str], None]:
    """A progress sink: the engine's log when there is one, stderr otherwise (direct calls, tests)."""

    def report(message: str) -> None:
        line = f"{resource_name}: {message}"
        try:
            pulumi.log.info(line)
        except Exception:
            sys.stderr.write(f"info: {line}\n")

    return report


def _open_client(endpoint: str) -> AbstractContextManager[FineTuningClient]:
    """A data-plane client; `openai` is imported here so check() and diff() (preview) never load it."""
    from ftstack.fine_tuning.client import open_client

    return open_client(endpoint)


def _inputs_of(props: Mapping[str, Any]) -> dict[str, Any]:
    """Only the resource's inputs out of a property map (state outputs carry the inputs too)."""
    return {name: props.get(name) for name in INPUT_FIELDS}


class FineTuningJobProvider(ResourceProvider):
    """The dynamic provider: checks inputs offline, then drives the job through ftstack.fine_tuning."""

    # State holds no secret (tokens are resolved at run time), so the pickled provider need not be one.
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Normalised inputs, and one failure per problem (data validated before anything is uploaded); an
        input unknown during preview is not checked, and comes back as the engine's sentinel."""
        checked, failures = inputs.check_inputs(news)
        return CheckResult(checked, [CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Data, model, method, hyperparameter, seed, suffix, training type or account changes replace; so
        does a job that ended failed or cancelled (it is trained again); an active job is cancelled
        before its replacement is created. A value unknown during preview is no change: the
        deployment's own diff, with the value known, decides."""
        changed = inputs.changed_inputs(_olds, _news)
        replaces = inputs.replacing_changes(_olds, _news)
        if _olds.get("status") in ENDED_WITHOUT_MODEL:
            replaces.append("status")
        # Replacing a job that is still active deletes (cancels) it first: otherwise the replacement
        # queues behind it (one job trains at a time) and the old job trains to the end and is billed.
        cancel_first = bool(replaces) and _olds.get("status") in ACTIVE_STATES
        return DiffResult(
            changes=bool(changed or replaces), replaces=replaces, delete_before_replace=cancel_first
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Upload, wait for processing, create (or adopt) the job, and wait for it when asked."""
        spec = inputs.spec_from_props(props)
        runtime = lifecycle.Runtime(progress=_progress(spec.resource_name))
        with _open_client(spec.endpoint) as service:
            state = lifecycle.create(service, spec, runtime)
        return CreateResult(state.job_id, {**_inputs_of(props), **state.outputs()})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The job's current status, model and checkpoints; an empty id when the job is gone."""
        with _open_client(str(props["endpoint"])) as service:
            state = lifecycle.refresh(service, id_)
        if state is None:
            return ReadResult("", {})
        return ReadResult(id_, {**_inputs_of(props), **state.outputs()})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """In-place changes (wait settings, a moved file, same content): refresh, and wait when asked."""
        spec = inputs.spec_from_props(_news)
        runtime = lifecycle.Runtime(progress=_progress(spec.resource_name))
        with _open_client(spec.endpoint) as service:
            state = lifecycle.wait_more(service, spec, _id, runtime)
        if state is None:
            raise JobFailedError(_id, "missing", "the account no longer has this job; refresh the stack")
        return UpdateResult({**_inputs_of(_news), **state.outputs()})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Cancel the job if it still runs, and delete its uploaded data files (those no live job uses)."""
        spec = inputs.spec_from_props(_props)
        files = [str(f) for f in (_props.get("training_file_id"), _props.get("validation_file_id")) if f]
        with _open_client(spec.endpoint) as service:
            runtime = lifecycle.Runtime(progress=_progress(spec.resource_name))
            lifecycle.cancel_and_clean(service, spec, _id, files, runtime)


def _sha256_or_none(path: str | None) -> str | None:
    """The file's sha256, or None when it cannot be read (check() then reports the missing file)."""
    if path is None or not Path(path).is_file():
        return None
    return file_sha256(path)


def provider_inputs(name: str, args: FineTuningJobArgs) -> dict[str, Any]:
    """The resource's property map: its inputs with each data file's sha256, and every output seeded None."""
    return {
        "resource_name": name,
        "endpoint": args.endpoint,
        "base_model": args.base_model,
        "model_version": args.model_version,
        "training_type": args.training_type,
        "training_file": args.training_file,
        "training_file_sha256": args.training_file_sha256 or _sha256_or_none(args.training_file),
        "validation_file": args.validation_file,
        "validation_file_sha256": _sha256_or_none(args.validation_file),
        "method": args.method,
        "hyperparameters": dict(args.hyperparameters),
        "seed": args.seed,
        "suffix": args.suffix,
        "wait": args.wait,
        "wait_timeout_seconds": args.wait_timeout_seconds,
        **dict.fromkeys(OUTPUT_FIELDS),
    }


class FineTuningJob(Resource, module="ftstack", name="FineTuningJob"):
    """One fine-tuning job; replaced when its data, model, method or hyperparameters change."""

    job_id: pulumi.Output[str]
    status: pulumi.Output[str]
    fine_tuned_model: pulumi.Output[str | None]
    trained_tokens: pulumi.Output[int | None]
    checkpoints: pulumi.Output[list[dict[str, Any]]]
    result_files: pulumi.Output[list[str]]
    training_file_id: pulumi.Output[str]
    validation_file_id: pulumi.Output[str | None]

    def __init__(self, name: str, args: FineTuningJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(FineTuningJobProvider(), name, provider_inputs(name, args), opts)
