"""ModelDeployment: a deployment of a fine-tuned model on an account, checked against the SKU matrix."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import cognitiveservices

from ftstack.catalog import CapabilityOverride, ModelRow
from ftstack.config import ConfigError
from ftstack.config.schema import DeploymentConfig
from ftstack.config.validation import deployment_sku_problem

MODEL_FORMAT = "OpenAI"
FINE_TUNED_MODEL_VERSION = "1"  # ARM serves a fine-tuned model as version "1" of its fine-tuned model id


@dataclass(frozen=True)
class ModelDeploymentArgs:
    """The account, the deployment's config, the model to serve, and what it must wait for.

    `after` is the previous deployment on the same account: ARM answers 409 to concurrent deployment
    writes on one account, so deployments are chained. `key_path` and `source` name the config entry in
    errors; `base` (with `region`, the account's) enables the SKU check.
    """

    account_name: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    deployment: DeploymentConfig
    model: pulumi.Input[str]
    region: str
    base: ModelRow | None = None
    after: pulumi.Resource | None = None
    overrides: tuple[CapabilityOverride, ...] = ()
    key_path: str = "deployments"
    source: str | None = None


class ModelDeployment(pulumi.ComponentResource):
    """A cognitiveservices Deployment (format OpenAI, name = the fine-tuned model id, version "1") with the
    configured SKU, capacity, RAI policy and version upgrade option; refused before registering when the
    deployment-type matrix says the base model's fine-tuned models cannot use the SKU in the region."""

    deployment_name: pulumi.Output[str]
    model: pulumi.Output[str]

    def __init__(self, name: str, args: ModelDeploymentArgs, opts: pulumi.ResourceOptions | None = None):
        problem = deployment_sku_problem(
            args.deployment, args.base, args.region, args.key_path, args.overrides
        )
        if problem is not None:
            raise ConfigError([problem], args.source)
        super().__init__("ftstack:deployment:ModelDeployment", name, None, opts)
        config = args.deployment
        self.resource = cognitiveservices.Deployment(
            config.name,
            deployment_name=config.name,
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            sku=cognitiveservices.SkuArgs(name=config.sku, capacity=config.capacity),
            properties=cognitiveservices.DeploymentPropertiesArgs(
                model=cognitiveservices.DeploymentModelArgs(
                    format=MODEL_FORMAT, name=args.model, version=FINE_TUNED_MODEL_VERSION
                ),
                rai_policy_name=config.rai_policy_name,
                version_upgrade_option=config.version_upgrade_option,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.after] if args.after else None),
        )
        self.deployment_name = self.resource.name
        self.model = pulumi.Output.from_input(args.model)
        self.register_outputs({"deployment_name": self.deployment_name, "model": self.model})
