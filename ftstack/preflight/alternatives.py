"""Where there is room and the stack may still go: other SKUs on the same account, or the account in
another region, each allowed by the capability matrix, the deployment-type table and the residency settings
together. A region that residency forbids is never read, let alone suggested."""

from __future__ import annotations

from ftstack.catalog import CatalogError, TrainingType, load_matrix, load_regions
from ftstack.catalog.deployment_types import load_deployment_types
from ftstack.config.schema import DeploymentConfig, EnvironmentConfig, JobConfig
from ftstack.config.validation import capability_overrides
from ftstack.preflight.demand import DeploymentGroup
from ftstack.preflight.findings import Alternative
from ftstack.preflight.residency import deployment_allowed
from ftstack.preflight.room import QuotaView
from ftstack.preflight.usage_names import unit_word


def allowed_places(env: EnvironmentConfig, group: DeploymentGroup) -> list[tuple[str, str]]:
    """Every (region, SKU) other than the group's own where its deployments may go: the SKU is offered for
    the fine-tuned model there, residency allows it, and (for another region) the jobs behind the
    deployments can be trained there. The account's own region comes first."""
    home = load_regions().get(env.account.region).name
    table = load_deployment_types()
    regions = [home, *(r.name for r in load_regions() if r.name != home)]
    places: list[tuple[str, str]] = []
    for region in regions:
        if region != home and not _jobs_trainable(env, group.deployments, region):
            continue
        for sku in table.usable_skus(group.base.model, group.base.version, region):
            if (region, sku) == (home, group.sku) or unit_word(sku) != unit_word(group.sku):
                continue
            if not deployment_allowed(env.residency, sku, region):
                continue
            places.append((region, sku))
    return places


def alternatives_with_room(
    view: QuotaView, env: EnvironmentConfig, group: DeploymentGroup, asked: float
) -> list[Alternative]:
    """The allowed places whose known room covers `asked`, the account's region first."""
    out: list[Alternative] = []
    for region, sku in allowed_places(env, group):
        free = view.room(sku, group.base, region).free
        if free is not None and free >= asked:
            out.append(Alternative(region=region, sku=sku, free=free))
    return out


def _jobs_trainable(env: EnvironmentConfig, deployments: tuple[DeploymentConfig, ...], region: str) -> bool:
    """True when every stack job behind `deployments` can be trained on an account in `region` (the
    deployment moves with the account, and so does its job)."""
    matrix = load_matrix()
    overrides = capability_overrides(env)
    for job in _jobs_behind(env, deployments):
        training = TrainingType(job.training_type)
        if training is TrainingType.GLOBAL and not env.residency.allow_global_training:
            return False
        try:
            row = matrix.resolve_row(job.base_model, job.version)
            decision = matrix.check(row.model, row.version, region, training, job.vision, overrides)
        except CatalogError:
            return False
        if not decision.allowed:
            return False
    return True


def _jobs_behind(env: EnvironmentConfig, deployments: tuple[DeploymentConfig, ...]) -> list[JobConfig]:
    jobs: list[JobConfig] = []
    for deployment in deployments:
        ref = deployment.model
        for job in env.fine_tuning.jobs:
            if (ref.job is not None and job.name == ref.job) or (
                ref.experiment is not None and job.experiment_name == ref.experiment
            ):
                jobs.append(job)
    return jobs
