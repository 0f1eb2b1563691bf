"""Expand an experiment job into its points: one fine-tuning job per (subset, hyperparameter) combination."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ftstack.config.problems import ConfigProblem, join_path
from ftstack.config.schema import JobConfig
from ftstack.experiments.subsets import SUBSET_DIR, Subset, count_examples, plan_subset

SUFFIX_LIMIT = 40  # Azure's limit on a job's suffix

# Swept config field -> (hyperparameter field on the job, short tag used in point names)
_SWEPT = {
    "n_epochs": ("n_epochs", "e"),
    "batch_size": ("batch_size", "b"),
    "learning_rate_multiplier": ("learning_rate_multiplier", "lr"),
    "seed": ("seed", "s"),
}


@dataclass(frozen=True)
class ExperimentPoint:
    """One point of an experiment: a job variant with its subset size and hyperparameters."""

    experiment: str
    name: str  # resource name, e.g. "support-bot-n18-e2"
    tag: str  # what varies, e.g. "n18-e2"
    job: JobConfig  # the job with this point's hyperparameters (training file still the full file)
    subset_size: int | None  # training examples of this point's subset; None = the whole file
    values: dict[str, float | int]  # the swept values and "examples"
    subset_seed: int = 0  # nested subsets are prefixes of one permutation seeded with this

    @property
    def suffix(self) -> str:
        """The point's job suffix (the fine-tuned model id carries it)."""
        return self.job.suffix or self.tag


def point_suffix(job: JobConfig, tag: str) -> str:
    """The job's own suffix (or name) and the tag, within Azure's 40 characters."""
    base = job.suffix or job.name
    room = SUFFIX_LIMIT - len(tag) - 1
    return f"{base[:room].rstrip('-.')}-{tag}" if room > 0 else tag[:SUFFIX_LIMIT]


def subset_sizes(job: JobConfig, n_examples: int) -> list[int]:
    """The distinct subset sizes of the experiment, ascending (fractions of `n_examples` or counts)."""
    assert job.experiment is not None
    sizes = set()
    for value in job.experiment.subsets:
        sizes.add(max(1, round(value * n_examples)) if isinstance(value, float) else value)
    return sorted(sizes)


def expand(job: JobConfig, n_examples: int) -> list[ExperimentPoint]:
    """Every point of the job's experiment, in a stable order; a plain job yields no points."""
    spec = job.experiment
    if spec is None:
        return []
    name = job.experiment_name or job.name
    sizes: list[int | None] = list(subset_sizes(job, n_examples)) or [None]
    swept = [(field, tried) for field in _SWEPT if (tried := getattr(spec.sweep, field))]
    combos = list(itertools.product(*(tried for _, tried in swept))) or [()]
    points = []
    for size, combo in itertools.product(sizes, combos):
        tags = [] if size is None else [f"n{size}"]
        values: dict[str, float | int] = {"examples": size if size is not None else n_examples}
        hyper = job.method.hyperparameters.model_copy()
        seed = job.seed
        for (field, _), value in zip(swept, combo, strict=True):
            target, short = _SWEPT[field]
            tags.append(f"{short}{_short_number(value)}")
            values[field] = value
            if target == "seed":
                seed = int(value)
            else:
                hyper = hyper.model_copy(update={target: value})
        tag = "-".join(tags)
        variant = job.model_copy(
            update={
                "method": job.method.model_copy(update={"hyperparameters": hyper}),
                "seed": seed,
                "experiment": None,
                "name": f"{job.name}-{tag}",
                "suffix": point_suffix(job, tag),
            }
        )
        points.append(
            ExperimentPoint(name, f"{job.name}-{tag}", tag, variant, size, values, spec.subset_seed)
        )
    return points


def point_training(point: ExperimentPoint, project_dir: Path) -> tuple[JobConfig, Subset | None]:
    """The point's job, training on its subset under .ftstack/subsets (content-addressed), and that
    subset as computed in memory (None when the point trains on the whole file). Writes nothing."""
    if point.subset_size is None:
        return point.job, None
    source = project_dir / point.job.training_file
    if point.subset_size >= count_examples(source):
        return point.job, None
    subset = plan_subset(source, point.subset_size, point.subset_seed, project_dir / SUBSET_DIR)
    job = point.job.model_copy(update={"training_file": subset.path.relative_to(project_dir).as_posix()})
    return job, subset


def job_on_subset(point: ExperimentPoint, project_dir: Path) -> JobConfig:
    """The point's job, training on its subset file, which is written (see point_training)."""
    job, subset = point_training(point, project_dir)
    if subset is not None:
        subset.write()
    return job


def expansion_problems(job: JobConfig, index: int, n_examples: int, min_examples: int) -> list[ConfigProblem]:
    """Problems of the expansion itself: subsets too small or larger than the file, too many points."""
    spec = job.experiment
    if spec is None:
        return []
    base = ("fineTuning", "jobs", index, "experiment")
    problems = []
    for i, value in enumerate(spec.subsets):
        size = max(1, round(value * n_examples)) if isinstance(value, float) else value
        if size > n_examples:
            problems.append(
                ConfigProblem(
                    join_path(*base, "subsets", i),
                    f"{value}: the training file has only {n_examples} examples",
                )
            )
        elif size < min_examples:
            what = f"{value} of {n_examples} examples is {size}" if isinstance(value, float) else f"{value}"
            problems.append(
                ConfigProblem(
                    join_path(*base, "subsets", i),
                    f"{what}: a fine-tuning job needs at least {min_examples} training examples",
                )
            )
    count = len(expand(job, n_examples)) if not problems else 0
    if count > spec.max_points:
        problems.append(
            ConfigProblem(
                join_path(*base),
                f"expands to {count} jobs, more than maxPoints "
                f"({spec.max_points}); trim the sweep or raise maxPoints",
            )
        )
    return problems


def _short_number(value: float | int) -> str:
    """A number as a suffix may spell it: the service takes only a-z, A-Z, 0-9, '-' and '_' (0.5 -> 0p5)."""
    text = f"{value:g}"
    return text.replace("-", "m").replace(".", "p").replace("+", "")
