"""The Pulumi program: load the stack's typed config, build the platform, export what callers need."""

from pathlib import Path

import pulumi

from components.platform import FineTuningPlatform, FineTuningPlatformArgs
from ftstack.config import ConfigError, parse_environment

PROJECT_DIR = Path(__file__).resolve().parent
SOURCE = f"stacks/Pulumi.{pulumi.get_stack()}.yaml"

try:
    environment = parse_environment(
        pulumi.Config("ftstack").require_object("environment"), source=SOURCE, project_dir=PROJECT_DIR
    )
    platform = FineTuningPlatform(environment.name, FineTuningPlatformArgs(environment, SOURCE, PROJECT_DIR))
except ConfigError as error:
    raise pulumi.RunError("\n".join(error.lines())) from None

pulumi.export("endpoint", platform.endpoint)
pulumi.export("accountId", platform.account_id)
pulumi.export("deploymentNames", platform.deployment_names)
pulumi.export("deploymentModels", platform.deployment_models)
