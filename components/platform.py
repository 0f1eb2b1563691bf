"""FineTuningPlatform: one environment's account, private link, access, monitoring, jobs and deployments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.access import AccessAssignments, AccessAssignmentsArgs
from components.account import OpenAIAccount, OpenAIAccountArgs
from components.deployment import ModelDeployment, ModelDeploymentArgs
from components.fine_tuning_job import FineTuningJob, FineTuningJobArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import PrivateLink, PrivateLinkArgs
from ftstack.config import ConfigError, ConfigProblem, EnvironmentConfig, capability_overrides
from ftstack.config.job_rules import wait_problems
from ftstack.config.network_rules import creates_zones, dns_zone_problems
from ftstack.config.problems import join_path
from ftstack.config.schema import DeploymentConfig, JobConfig
from ftstack.config.validation import deployment_sku_problem, served_base
from ftstack.experiments.expansion import ExperimentPoint, expand, point_training
from ftstack.experiments.subsets import count_examples
from ftstack.promotion import PointOutcome, PromotionError, Selection, read_scores, select_model, select_point

MANAGED_BY = "ftstack"


@dataclass(frozen=True)
class FineTuningPlatformArgs:
    """The validated environment config, and the stack file it came from (named in errors)."""

    environment: EnvironmentConfig
    source: str | None = None
    project_dir: Path | None = None  # where data paths are relative to (default: the working folder)


def platform_tags(env: EnvironmentConfig) -> dict[str, str]:
    """The tags every resource gets: the stack's own, then environment, residency and manager."""
    residency = ",".join(env.residency.allowed_geographies) or "none"
    return {
        **env.account.tags,
        "environment": env.name,
        "data-residency": residency,
        "managed-by": MANAGED_BY,
    }


def platform_problems(env: EnvironmentConfig, project_dir: Path | None = None) -> list[ConfigProblem]:
    """Problems only the platform sees (a scores file to read), plus the checks it cannot build without
    again (DNS zones, deployments of unwaited jobs, deployment types), so no resource registers for a config
    that skipped validation."""
    problems: list[ConfigProblem] = dns_zone_problems(env) + wait_problems(env)
    for index, deployment in enumerate(env.deployments):
        path = join_path("deployments", index)
        scores = deployment.model.scores_file
        if scores is not None and not ((project_dir or Path.cwd()) / scores).is_file():
            problems.append(
                ConfigProblem(
                    f"{path}.model.scoresFile",
                    f"{scores!r}: no such file; write it with `ftstack experiment report --data HOLDOUT --out DIR`",
                )
            )
        base = served_base(env, deployment)
        problem = deployment_sku_problem(
            deployment, base, env.account.region, path, capability_overrides(env)
        )
        if problem is not None:
            problems.append(problem)
    return problems


class FineTuningPlatform(pulumi.ComponentResource):
    """Everything `pulumi up -s <env>` creates, composed from the validated stack config.

    Outputs: `endpoint`, `account_id`, `account_name`, `deployment_names` and `deployment_models`
    ({deployment: {"model", "reason"}}: the served model and why it was chosen).
    """

    endpoint: pulumi.Output[str]
    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    deployment_names: list[str]
    deployment_models: pulumi.Output[dict[str, dict[str, str]]]

    def __init__(self, name: str, args: FineTuningPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        env = args.environment
        problems = platform_problems(env, args.project_dir)
        if problems:
            raise ConfigError(problems, args.source)
        super().__init__("ftstack:platform:FineTuningPlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = platform_tags(env)
        region = env.account.region

        self.account = OpenAIAccount(
            env.account.name, OpenAIAccountArgs(env.account, tags, protect=env.production), child
        )
        reach: list[pulumi.Resource] = [self.account.account]  # what a job's runner needs before it calls

        self.private_link: PrivateLink | None = None
        if env.network.private_endpoint is not None:
            spec = env.network.private_endpoint
            self.private_link = PrivateLink(
                f"{env.account.name}-private-link",
                PrivateLinkArgs(
                    account_id=self.account.account_id,
                    account_name=env.account.name,
                    account_kind=env.account.kind,
                    resource_group_name=self.account.resource_group_name,
                    location=spec.region or region,
                    spec=spec,
                    create_zones=creates_zones(spec, env.production),
                    tags=tags,
                ),
                child,
            )
            # The endpoint's name resolves from the runner's VNet only once the zone is linked to it.
            reach += [self.private_link.endpoint, self.private_link.zone_group, *self.private_link.vnet_links]

        self.access: AccessAssignments | None = None
        if env.access.role_assignments:
            self.access = AccessAssignments(
                f"{env.account.name}-access",
                AccessAssignmentsArgs(
                    account_id=self.account.account_id,
                    account_name=env.account.name,
                    resource_group_name=self.account.resource_group_name,
                    assignments=env.access.role_assignments,
                ),
                child,
            )
            reach += self.access.assignments

        self.monitoring: Monitoring | None = None
        if env.monitoring.diagnostics is not None:
            self.monitoring = Monitoring(
                f"{env.account.name}-monitoring",
                MonitoringArgs(
                    account_id=self.account.account_id,
                    account_name=env.account.name,
                    resource_group_name=self.account.resource_group_name,
                    location=region,
                    spec=env.monitoring.diagnostics,
                    tags=tags,
                ),
                child,
            )

        self.jobs: dict[str, FineTuningJob] = {}
        self.experiments: dict[str, list[tuple[ExperimentPoint, FineTuningJob]]] = {}
        project_dir = args.project_dir or Path.cwd()
        for job in env.fine_tuning.jobs:
            if job.experiment is None:
                self.jobs[job.name] = self._job(job, region, reach)
            else:
                self.experiments[str(job.experiment_name)] = [
                    (point, self._point_job(point, project_dir, region, reach))
                    for point in expand(job, count_examples(project_dir / job.training_file))
                ]
        self.project_dir = project_dir

        self.deployments: list[ModelDeployment] = []
        chosen: dict[str, pulumi.Output[Selection]] = {}
        previous: pulumi.Resource | None = None
        for index, deployment in enumerate(env.deployments):
            selection = self._selection(deployment, join_path("deployments", index, "model"), args.source)
            chosen[deployment.name] = selection
            component = ModelDeployment(
                deployment.name,
                ModelDeploymentArgs(
                    account_name=self.account.account_name,
                    resource_group_name=self.account.resource_group_name,
                    deployment=deployment,
                    model=selection.apply(lambda s: s.model),
                    region=region,
                    base=served_base(env, deployment),
                    overrides=tuple(capability_overrides(env)),
                    after=previous,
                    key_path=join_path("deployments", index),
                    source=args.source,
                ),
                child,
            )
            previous = component.resource
            self.deployments.append(component)

        self.endpoint = self.account.endpoint
        self.account_id = self.account.account_id
        self.account_name = self.account.account_name
        self.deployment_names = [d.name for d in env.deployments]
        self.deployment_models = (
            pulumi.Output.all(**{name: s.apply(_served) for name, s in chosen.items()})
            if chosen
            else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "account_id": self.account_id,
                "deployment_names": self.deployment_names,
                "deployment_models": self.deployment_models,
            }
        )

    def _job(
        self,
        job: JobConfig,
        region: str,
        reach: list[pulumi.Resource],
        training_file_sha256: str | None = None,
    ) -> FineTuningJob:
        """The job's resource; it waits for the account and for what lets the runner reach it."""
        args = FineTuningJobArgs.from_job_config(
            job, endpoint=self.account.endpoint, region=region, training_file_sha256=training_file_sha256
        )
        return FineTuningJob(job.name, args, pulumi.ResourceOptions(parent=self, depends_on=reach))

    def _point_job(
        self, point: ExperimentPoint, project_dir: Path, region: str, reach: list[pulumi.Resource]
    ) -> FineTuningJob:
        """An experiment point's job. Its subset's sha256 is computed in memory; the file is written only
        by a deployment (a preview writes nothing), where the provider reads it."""
        job, subset = point_training(point, project_dir)
        if subset is None:
            return self._job(job, region, reach)
        if not pulumi.runtime.is_dry_run():
            subset.write()
        return self._job(job, region, reach, subset.sha256)

    def _selection(
        self, deployment: DeploymentConfig, key_path: str, source: str | None
    ) -> pulumi.Output[Selection]:
        """The model a deployment serves: promoted from its job's outputs, or the explicit model id."""
        ref = deployment.model
        if ref.experiment is not None:
            return self._experiment_selection(deployment, key_path, source)
        if ref.job is None:
            explicit = Selection(
                str(ref.fine_tuned_model), "the fine-tuned model id given in the stack config"
            )
            return pulumi.Output.from_input(explicit)
        job = self.jobs[ref.job]
        select = ref.select

        def choose(values: list[Any]) -> Selection:
            try:
                return select_model(values[0], values[1] or [], select)
            except PromotionError as exc:
                raise ConfigError(
                    [ConfigProblem(f"{key_path}.select", f"job {ref.job!r}: {exc}")], source
                ) from None

        return pulumi.Output.all(job.fine_tuned_model, job.checkpoints).apply(choose)

    def _experiment_selection(
        self, deployment: DeploymentConfig, key_path: str, source: str | None
    ) -> pulumi.Output[Selection]:
        """The final model of an experiment's best point, by validation loss or by holdout score."""
        ref = deployment.model
        name = str(ref.experiment)
        points = self.experiments[name]
        scores = read_scores(self.project_dir / ref.scores_file) if ref.scores_file else None

        def choose(values: list[Any]) -> Selection:
            outcomes = [
                PointOutcome(point.name, values[2 * i], values[2 * i + 1] or [])
                for i, (point, _) in enumerate(points)
            ]
            try:
                return select_point(name, outcomes, str(ref.select), scores)
            except PromotionError as exc:
                raise ConfigError([ConfigProblem(f"{key_path}.select", str(exc))], source) from None

        outputs = [o for _, job in points for o in (job.fine_tuned_model, job.checkpoints)]
        return pulumi.Output.all(*outputs).apply(choose)


def _served(selection: Selection) -> dict[str, str]:
    """A selection as the `deploymentModels` export shows it."""
    return {"model": selection.model, "reason": selection.reason}
