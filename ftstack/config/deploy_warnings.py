"""What a first real deploy of a stack should know before it runs: drift Azure makes on its own, costs
that run by the hour, and placement the stack depends on. Warnings, not problems: the stack is valid.

Facts (shared/reference/azure-openai-fine-tuning-api.md, section 2 and "Deployment lifecycle"):
- a DeveloperTier deployment is removed 24 hours after it is created, whatever its traffic;
- any other deployment of a fine-tuned model is deleted once it has had no calls for 15 days;
- every deployed fine-tuned model, except on DeveloperTier, is billed an hourly hosting fee while it exists.
A refresh (`refresh: always` in Pulumi.yaml, `refresh: true` in the deploy workflow) notices the removal
and the next `up` re-creates the deployment.
"""

from __future__ import annotations

from ftstack.config.network_rules import creates_zones
from ftstack.config.runner_placement import RUNNER_LABELS
from ftstack.config.schema import EnvironmentConfig

DEVELOPER_TIER = "DeveloperTier"
DEVELOPER_TIER_LIFETIME_HOURS = 24
IDLE_DELETION_DAYS = 15
GITHUB_HOSTED = "github-hosted"  # what GitHub Actions sets RUNNER_ENVIRONMENT to on its own runners


def deploy_warnings(env: EnvironmentConfig, runner_environment: str | None = None) -> list[str]:
    """One line per warning for the stack's deployments, DNS zones and runner placement.

    `runner_environment` is the runner the deploy would use (GitHub's `RUNNER_ENVIRONMENT`: `github-hosted`
    or `self-hosted`); None when unknown (a check outside CI).
    """
    return _deployment_warnings(env) + _zone_warnings(env) + _runner_warnings(env, runner_environment)


def _deployment_warnings(env: EnvironmentConfig) -> list[str]:
    lines: list[str] = []
    for index, deployment in enumerate(env.deployments):
        key = f"deployments[{index}] ({deployment.name})"
        if deployment.sku == DEVELOPER_TIER:
            lines.append(
                f"{key}: a {DEVELOPER_TIER} deployment is removed {DEVELOPER_TIER_LIFETIME_HOURS} hours after it "
                "is created; the next `up` (which refreshes first) creates it again"
            )
        else:
            lines.append(
                f"{key}: a {deployment.sku} deployment of a fine-tuned model is billed an hourly hosting fee "
                f"while it exists, and is deleted after {IDLE_DELETION_DAYS} days without calls (the model "
                "stays; the next `up` deploys it again)"
            )
    return lines


def _zone_warnings(env: EnvironmentConfig) -> list[str]:
    spec = env.network.private_endpoint
    if spec is None or not env.production or not creates_zones(spec, env.production):
        return []
    return [
        "network.privateEndpoint.dnsZones: this production stack creates its own private DNS zones; if a hub "
        "already links a zone of the same name to these VNets, Azure refuses the link: use "
        "existingZoneIds with the hub's zones instead"
    ]


def _runner_warnings(env: EnvironmentConfig, runner_environment: str | None) -> list[str]:
    access = env.network.runner_access
    if runner_environment != GITHUB_HOSTED or access == "none" or not env.fine_tuning.jobs:
        return []
    why = (
        "cannot reach the account's private endpoint"
        if access == "private-endpoint"
        else "has no fixed address to put in account.networkAcls.ipRules"
    )
    labels = ", ".join(RUNNER_LABELS[access])
    return [
        f"network.runnerAccess: {access}, but this runs on a GitHub-hosted runner, which {why}: the fine-tuning "
        f"jobs would fail to connect; run the deploy on a self-hosted runner labelled [{labels}]"
    ]
