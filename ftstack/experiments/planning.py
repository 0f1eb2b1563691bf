"""Plan an experiment before anything runs: its points, billed tokens, queue limits and drain time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftstack.catalog import load_matrix
from ftstack.catalog.service_limits import load_service_limits
from ftstack.config.schema import JobConfig
from ftstack.experiments.expansion import ExperimentPoint, expand
from ftstack.experiments.subsets import count_examples
from ftstack.training_data import auto_epochs, validate_file


@dataclass(frozen=True)
class PlannedPoint:
    """One point with its data size, epochs and billed-token estimate."""

    point: ExperimentPoint
    examples: int
    epochs: int
    billed_tokens: int


@dataclass(frozen=True)
class ExperimentPlan:
    """What an experiment will submit, cost and take."""

    experiment: str
    job: str
    points: list[PlannedPoint]
    file_examples: int
    file_tokens: int
    notes: list[str]

    @property
    def total_billed_tokens(self) -> int:
        """Tokens billed over every point (training tokens x epochs)."""
        return sum(p.billed_tokens for p in self.points)


def plan_experiment(
    job: JobConfig, project_dir: Path, region: str, emulator_time_scale: float = 600.0
) -> ExperimentPlan:
    """Expand `job`'s experiment and estimate each point; the data file is validated once for the model."""
    matrix = load_matrix()
    row = matrix.resolve_row(job.base_model, job.version)
    path = project_dir / job.training_file
    report = validate_file(path, row, job.method.type)
    examples = count_examples(path)
    tokens = int(report.tokens.total)
    planned = []
    for point in expand(job, examples):
        size = point.subset_size or examples
        requested = point.job.method.hyperparameters.n_epochs
        epochs = auto_epochs(size) if requested == "auto" else int(requested)
        point_tokens = round(tokens * size / max(1, examples))  # subsets are a random sample of the file
        planned.append(PlannedPoint(point, size, epochs, point_tokens * epochs))
    name = job.experiment_name or job.name
    return ExperimentPlan(
        name, job.name, planned, examples, tokens, _notes(planned, region, emulator_time_scale)
    )


def _notes(points: list[PlannedPoint], region: str, time_scale: float) -> list[str]:
    limits = load_service_limits()
    count = len(points)
    notes = [
        f"{count} job(s) on one resource in {region}: {limits.running_jobs} runs at a time by default and at most "
        f"{limits.queued_jobs} wait in the queue ({limits.jobs_at_once} at once)."
    ]
    if count > limits.jobs_at_once:
        notes.append(
            f"{count} jobs exceed what one resource accepts at once; submit in waves of {limits.jobs_at_once} "
            "(Pulumi's parallelism, or `pulumi up --parallel`, bounds how many are submitted together)."
        )
    typical = sum(limits.typical_job_minutes(p.billed_tokens) for p in points) / limits.running_jobs
    emulated = sum(_emulator_seconds(p) for p in points) / time_scale / limits.running_jobs
    notes.append(
        f"It drains in about {_duration(typical * 60)} at the typical pace ({limits.pace_source}) and in "
        f"about {_duration(emulated)} on the emulator at --time-scale {time_scale:g}."
    )
    return notes


def _emulator_seconds(point: PlannedPoint) -> float:
    """Simulated seconds the emulator takes for this point, from the emulator's own timing model."""
    from ftstack.emulator import lifecycle
    from ftstack.emulator.training_curve import TrainingRun

    hyper = point.point.job.method.hyperparameters
    batch = 1 if hyper.batch_size == "auto" else int(hyper.batch_size)
    run = TrainingRun(point.examples, point.epochs, batch, 1.0, 0)
    tokens_per_epoch = point.billed_tokens // max(1, point.epochs)
    epoch = run.steps_per_epoch * lifecycle.step_seconds(tokens_per_epoch, point.examples, batch)
    overhead = (
        lifecycle.FILE_PENDING_SECONDS
        + lifecycle.FILE_RUNNING_SECONDS
        + lifecycle.JOB_VALIDATION_SECONDS
        + lifecycle.FINALIZE_SECONDS
    )
    return overhead + point.epochs * (epoch + lifecycle.EPOCH_OVERHEAD_SECONDS)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
