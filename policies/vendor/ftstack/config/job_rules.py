"""Rules between a job's waiting and the deployments that serve its model.

A job with `wait: false` is submitted and left training: its fine-tuned model is unknown until a later
`up` finds the job done. A deployment of that model would then fail inside the program, after the job was
already created and billed, so the combination is refused up front, where it costs nothing.
"""

from __future__ import annotations

from ftstack.config.problems import ConfigProblem, join_path
from ftstack.config.schema import EnvironmentConfig, JobConfig


def wait_problems(env: EnvironmentConfig) -> list[ConfigProblem]:
    """One problem per deployment that serves the model of a job (or experiment) declared with `wait: false`."""
    problems: list[ConfigProblem] = []
    for index, deployment in enumerate(env.deployments):
        ref = deployment.model
        job = _served_job(env, ref.job, ref.experiment)
        if job is None or job.wait:
            continue
        key = "job" if ref.job is not None else "experiment"
        what = f"job {job.name!r}" if ref.job is not None else f"experiment {ref.experiment!r}"
        problems.append(
            ConfigProblem(
                join_path("deployments", index, "model", key),
                f"{what} is declared with wait: false, so its fine-tuned model does not exist when this "
                f"deployment is created; set fineTuning.jobs[{env.fine_tuning.jobs.index(job)}].wait: true, "
                "or leave this deployment out until the job has trained and add it in a later `up` together "
                "with wait: true (waiting for a job that already finished returns at once)",
            )
        )
    return problems


def _served_job(env: EnvironmentConfig, job: str | None, experiment: str | None) -> JobConfig | None:
    """The job whose model a deployment serves: the plain job by name, or the experiment's job."""
    for declared in env.fine_tuning.jobs:
        if job is not None and declared.name == job and declared.experiment is None:
            return declared
        if experiment is not None and declared.experiment_name == experiment:
            return declared
    return None  # an unknown name is reported at its own key
