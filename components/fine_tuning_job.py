"""FineTuningJob: an Azure OpenAI fine-tuning job as a Pulumi dynamic resource.

The provider class is pickled by reference (`components.fine_tuning_job.FineTuningJobProvider`), so the
`python -m pulumi.dynamic` process imports this module from the project directory: importing it has no
side effects, and the provider holds no client, token or socket (each method opens its own client).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

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

from ftstack.fine_tuning import engine_request, import_id, inputs, lifecycle
from ftstack.fine_tuning.credentials import CredentialRetry
from ftstack.fine_tuning.errors import JobFailedError, ServiceUnreachableError, WaitTimeoutError
from ftstack.fine_tuning.inputs import INPUT_FIELDS, file_sha256
from ftstack.fine_tuning.models import ACTIVE_STATES, ENDED_WITHOUT_MODEL
from ftstack.fine_tuning.wait_budget import (
    BudgetedRuntime,
    WaitInterruptedError,
    WatchedService,
    provider_stopping,
    runner_cap,
)

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
    """A progress sink: the engine's log, attributed to the resource being served, when the engine started
    this process; stderr otherwise (direct calls, tests)."""
    return engine_request.progress_sink(resource_name, engine_request.served_request().urn)


def _runtime(resource_name: str) -> BudgetedRuntime:
    """The runtime of one waiting operation: queue time not counted, capped on a CI runner, interrupted when
    the engine no longer waits for the answer or the provider process is told to stop (see
    ftstack.fine_tuning.wait_budget and engine_request)."""
    served = engine_request.served_request()
    return BudgetedRuntime(
        progress=engine_request.progress_sink(resource_name, served.urn),
        cap=runner_cap(),
        interrupted=lambda: served.cancelled() or provider_stopping(),
    )


def _guarded(service: FineTuningClient, rt: BudgetedRuntime, watch: bool = True) -> lifecycle.Service:
    """The client as the lifecycle uses it: calls a credential failure stopped sent again (see
    ftstack.fine_tuning.credentials) and, with `watch`, job states noted so queue time does not count."""
    watched: Any = WatchedService(service, rt) if watch else service
    return cast(lifecycle.Service, CredentialRetry(watched, rt))


def _explained(error: Exception, rt: BudgetedRuntime, name: str) -> Exception:
    """The error a waiting operation ends with, saying what stopped the wait and what the next run does."""
    if isinstance(error, WaitInterruptedError):
        message = f"{name}: {error}; the job keeps training and the next `pulumi up` adopts it"
        rt.progress(message)
        return WaitInterruptedError(message)
    if isinstance(error, WaitTimeoutError) and rt.capped() and rt.cap is not None:
        return WaitTimeoutError(error.job_id, f"{error.status} at {rt.cap.describe()}", rt.elapsed())
    return error


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
        rt = _runtime(spec.resource_name)
        with _open_client(spec.endpoint) as client:
            try:
                state = lifecycle.create(_guarded(client, rt), spec, rt)
            except (WaitInterruptedError, WaitTimeoutError) as error:
                raise _explained(error, rt, spec.resource_name) from error
        return CreateResult(state.job_id, {**_inputs_of(props), **state.outputs()})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The job's current status, model and checkpoints; an empty id when the job or its whole account is
        gone. Given an id and no state (`FineTuningJob.get`, an import: `<endpoint>|<job id>`, see
        ftstack.fine_tuning.import_id), also the inputs the job shows."""
        endpoint, job_id = import_id.split_import_id(id_, props.get("endpoint"))
        known = props.get("training_file_sha256") is not None
        report = _progress(str(props.get("resource_name") or job_id))
        try:
            with _open_client(endpoint) as service:
                state = lifecycle.refresh(service, job_id)
                found = None if state is None or known else service.retrieve_job(job_id)
                shown = None if found is None else import_id.inputs_from_job(service, found, endpoint)
        except ServiceUnreachableError as error:
            if not import_id.account_gone(error):
                raise
            report(f"job {job_id}: its account at {endpoint} no longer answers ({error}); marked deleted")
            return ReadResult("", {})
        if state is None:
            return ReadResult("", {})
        if shown is None:
            return ReadResult(job_id, {**_inputs_of(props), **state.outputs()})
        given = {name: value for name, value in _inputs_of(props).items() if value is not None}
        restored = {**shown, **given}
        return ReadResult(job_id, {**restored, **state.outputs()}, restored)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """In-place changes (wait settings, a moved file, same content): refresh, and wait when asked."""
        spec = inputs.spec_from_props(_news)
        rt = _runtime(spec.resource_name)
        with _open_client(spec.endpoint) as client:
            try:
                state = lifecycle.wait_more(_guarded(client, rt), spec, _id, rt)
            except (WaitInterruptedError, WaitTimeoutError) as error:
                raise _explained(error, rt, spec.resource_name) from error
        if state is None:
            raise JobFailedError(_id, "missing", "the account no longer has this job; refresh the stack")
        return UpdateResult({**_inputs_of(_news), **state.outputs()})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Cancel the job if it still runs, and delete its uploaded data files (those no live job uses)."""
        spec = inputs.spec_from_props(_props)
        files = [str(f) for f in (_props.get("training_file_id"), _props.get("validation_file_id")) if f]
        rt = _runtime(spec.resource_name)
        with _open_client(spec.endpoint) as client:
            lifecycle.cancel_and_clean(_guarded(client, rt, watch=False), spec, _id, files, rt)


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

    def __init__(self, name: str, args: FineTuningJobArgs | None, opts: pulumi.ResourceOptions | None = None):
        if args is None:  # a read (`get`): every property comes from the account
            props: dict[str, Any] = {**dict.fromkeys((*INPUT_FIELDS, *OUTPUT_FIELDS)), "resource_name": name}
        else:
            props = provider_inputs(name, args)
        super().__init__(FineTuningJobProvider(), name, props, opts)

    @classmethod
    def get(cls, name: str, id: str, opts: pulumi.ResourceOptions | None = None) -> FineTuningJob:
        """An existing job, read (not managed) by `<endpoint>|<job id>` (see ftstack.fine_tuning.import_id);
        its outputs, and the inputs the job shows, come from the account."""
        return cls(name, None, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
