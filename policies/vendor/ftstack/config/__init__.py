"""The typed stack configuration (`ftstack:environment`): schema, capability checks, stack-file loader.

Knows no Azure SDK and no Pulumi.
"""

from ftstack.config.problems import ConfigError, ConfigProblem
from ftstack.config.schema import EnvironmentConfig
from ftstack.config.stack_file import (
    StackConfig,
    StackFileError,
    find_project_dir,
    load_environment,
    load_stack,
    stack_names,
)
from ftstack.config.validation import capability_overrides, parse_environment

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "EnvironmentConfig",
    "StackConfig",
    "StackFileError",
    "capability_overrides",
    "find_project_dir",
    "load_environment",
    "load_stack",
    "parse_environment",
    "stack_names",
]
