"""Where a stack's deploy runs, and for how long: derived from the stack, so the workflow cannot drift.

The FineTuningJob provider calls the account's data plane from the deploy runner. With
`runnerAccess: private-endpoint` that runner must sit in a VNet that resolves the private endpoint (a
self-hosted runner); with `ip-rule` its egress address must be in `account.networkAcls.ipRules`, which a
GitHub-hosted runner's changing address never is. Only `none` (public access) fits a hosted runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftstack.config.schema import EnvironmentConfig, JobConfig
from ftstack.config.stack_file import load_environment, stack_names
from ftstack.experiments.expansion import expand
from ftstack.experiments.subsets import count_examples

# The runner labels a repository registers for each kind of reach (see the README's Azure section).
RUNNER_LABELS: dict[str, list[str]] = {
    "private-endpoint": ["self-hosted", "ftstack-private-endpoint"],
    "ip-rule": ["self-hosted", "ftstack-fixed-egress"],
    "none": ["ubuntu-latest"],
}
HOSTED_JOB_LIMIT_MINUTES = 360  # GitHub cancels a job on its own runners after 6 hours
SELF_HOSTED_JOB_LIMIT_MINUTES = 5 * 24 * 60  # and on a self-hosted runner after 5 days
# Refresh, policy pack, uploads and the deployments after training: time beyond the jobs' wait bounds.
DEPLOY_MARGIN_MINUTES = 30


@dataclass(frozen=True)
class Placement:
    """The runner labels and the job timeout (minutes) of one stack's deploy."""

    stack: str
    runs_on: list[str]
    timeout_minutes: int

    @property
    def hosted(self) -> bool:
        """True on a GitHub-hosted runner."""
        return "self-hosted" not in self.runs_on

    def as_matrix_entry(self) -> dict[str, object]:
        """The entry a workflow matrix takes (`stack`, `runs-on`, `timeout`)."""
        return {"stack": self.stack, "runs-on": self.runs_on, "timeout": self.timeout_minutes}


def placement(stack: str, env: EnvironmentConfig, project_dir: Path | None = None) -> Placement:
    """The stack's runner and a timeout above the time its waiting jobs may take, one after another
    (an account trains one job at a time), capped at the runner's own job limit."""
    runs_on = RUNNER_LABELS[env.network.runner_access]
    limit = SELF_HOSTED_JOB_LIMIT_MINUTES if "self-hosted" in runs_on else HOSTED_JOB_LIMIT_MINUTES
    waits = sum(
        job.wait_timeout_minutes * _job_count(job, project_dir) for job in env.fine_tuning.jobs if job.wait
    )
    return Placement(stack, runs_on, min(limit, waits + DEPLOY_MARGIN_MINUTES))


def _job_count(job: JobConfig, project_dir: Path | None) -> int:
    """How many jobs one declared job becomes: its experiment's points, or 1."""
    if job.experiment is None or project_dir is None:
        return 1
    training = project_dir / job.training_file
    return len(expand(job, count_examples(training))) if training.is_file() else 1


def deploy_matrix(project_dir: Path) -> dict[str, list[dict[str, object]]]:
    """Every stack's placement as workflow matrix entries, split into `dev` (non-production) and
    `production`, which deploys after dev."""
    matrix: dict[str, list[dict[str, object]]] = {"dev": [], "production": []}
    for stack in stack_names(project_dir):
        _, env = load_environment(stack, project_dir)
        matrix["production" if env.production else "dev"].append(
            placement(stack, env, project_dir).as_matrix_entry()
        )
    return matrix
