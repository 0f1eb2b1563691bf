"""What a stack asks of its account: deployment capacity per SKU and base model, the jobs it submits at once
(experiments count one job per point) and the data files it uploads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ftstack.catalog import ModelRow, load_regions
from ftstack.config.schema import DeploymentConfig, EnvironmentConfig, JobConfig
from ftstack.config.validation import served_base
from ftstack.experiments.expansion import expand
from ftstack.experiments.subsets import count_examples


@dataclass(frozen=True)
class DeploymentGroup:
    """The stack's deployments that draw on one quota: the same SKU and fine-tuned base model."""

    sku: str
    base: ModelRow
    deployments: tuple[DeploymentConfig, ...]

    @property
    def asked(self) -> int:
        """Capacity the group asks for in total."""
        return sum(d.capacity for d in self.deployments)

    @property
    def label(self) -> str:
        """`Standard gpt-4o-mini` for messages."""
        return f"{self.sku} {self.base.model}"


@dataclass(frozen=True)
class DataFileDemand:
    """One data file a job uploads: its path, size and content hash (the uploaded name carries the hash)."""

    path: str
    bytes: int
    sha256: str | None  # None for an experiment subset, which exists only once the run writes it


@dataclass(frozen=True)
class StackDemand:
    """Everything the preflight compares with Azure's figures."""

    region: str
    groups: tuple[DeploymentGroup, ...]
    unresolved: tuple[str, ...]  # deployments whose base model cannot be told (their config problem)
    jobs: tuple[str, ...]  # every job the stack submits, experiment points included
    files: tuple[DataFileDemand, ...]

    @property
    def deployment_count(self) -> int:
        """Fine-tuned deployments the stack declares."""
        return sum(len(g.deployments) for g in self.groups) + len(self.unresolved)


def stack_demand(env: EnvironmentConfig, project_dir: Path) -> StackDemand:
    """What `env` asks for, with data files read from `project_dir`."""
    groups: dict[tuple[str, str, str], list[DeploymentConfig]] = {}
    bases: dict[tuple[str, str, str], ModelRow] = {}
    unresolved: list[str] = []
    for deployment in env.deployments:
        base = served_base(env, deployment)
        if base is None:
            unresolved.append(deployment.name)
            continue
        key = (deployment.sku, base.model, base.version)
        groups.setdefault(key, []).append(deployment)
        bases[key] = base
    jobs: list[str] = []
    files: dict[str, DataFileDemand] = {}
    for job in env.fine_tuning.jobs:
        names, job_files = _job_demand(job, project_dir)
        jobs += names
        files.update({f.path: f for f in job_files})
    return StackDemand(
        region=load_regions().get(env.account.region).name,
        groups=tuple(DeploymentGroup(key[0], bases[key], tuple(ds)) for key, ds in groups.items()),
        unresolved=tuple(unresolved),
        jobs=tuple(jobs),
        files=tuple(files.values()),
    )


def _job_demand(job: JobConfig, project_dir: Path) -> tuple[list[str], list[DataFileDemand]]:
    """The jobs one declared job submits and the files they upload (a subset is a file of its own)."""
    training = _file(project_dir, job.training_file)
    validation = _file(project_dir, job.validation_file) if job.validation_file else None
    files = [f for f in (training, validation) if f is not None]
    if job.experiment is None or training is None:
        return [job.name], files
    examples = count_examples(project_dir / job.training_file)
    points = expand(job, examples)
    for point in points:
        size = point.subset_size
        if size is not None and size < examples:
            # Subsets are random samples of the file: their size is the file's, pro rata.
            files.append(
                DataFileDemand(f"{job.training_file}#n{size}", training.bytes * size // examples, None)
            )
    return [p.name for p in points], files


def _file(project_dir: Path, relative: str) -> DataFileDemand | None:
    path = project_dir / relative
    try:
        content = path.read_bytes()
    except OSError:
        return None  # a missing file is the config check's problem, reported there
    return DataFileDemand(relative, len(content), hashlib.sha256(content).hexdigest())
