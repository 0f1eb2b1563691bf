"""The provider of each declared resource, described the way `pulumi preview` describes it to the analyzer.

The engine sends every custom resource's provider with its inputs: an explicit provider resource's own
inputs, or for the default provider of a package the stack's `<package>:<key>` config values (strings, as
Pulumi config holds them) and the SDK's version. A resource group without a location lands in the
provider's `location`, so a check that left the provider out would pass what a real preview refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from ftstack.check.analyzer import AnalyzedProvider
from ftstack.preview import DeclaredResource

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
DEFAULT_PROVIDER_NAME = "default"
_ENGINE_PACKAGE = "pulumi"  # pulumi:pulumi:Stack and provider resources have no provider of their own


def package_of(type_token: str) -> str:
    """The package a type token belongs to (`azure-native` for `azure-native:resources:ResourceGroup`)."""
    return type_token.split(":", 1)[0]


def _sdk_version(package: str) -> str | None:
    """The installed SDK version of a package (`pulumi_azure_native` for `azure-native`), if any."""
    try:
        return metadata.version(f"pulumi_{package.replace('-', '_')}")
    except metadata.PackageNotFoundError:
        return None


def default_provider(package: str, stack: str, project: str, config: Mapping[str, Any]) -> AnalyzedProvider:
    """The default provider of `package` with the stack's config for it, as the engine registers it."""
    prefix = f"{package}:"
    properties: dict[str, Any] = {
        key[len(prefix) :]: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if key.startswith(prefix)
    }
    version = _sdk_version(package)
    name = DEFAULT_PROVIDER_NAME
    if version is not None:
        properties["version"] = version
        name = f"{DEFAULT_PROVIDER_NAME}_{version.replace('.', '_')}"
    type_ = f"{PROVIDER_TYPE_PREFIX}{package}"
    return AnalyzedProvider(type_, name, f"urn:pulumi:{stack}::{project}::{type_}::{name}", properties)


def providers_of(
    resources: Sequence[DeclaredResource], stack: str, project: str, config: Mapping[str, Any]
) -> dict[str, AnalyzedProvider]:
    """Each custom resource's provider, by the resource's URN: the explicit provider it names, else its
    package's default provider."""
    by_urn = {r.urn: r for r in resources}
    defaults: dict[str, AnalyzedProvider] = {}
    found: dict[str, AnalyzedProvider] = {}
    for resource in resources:
        package = package_of(resource.type)
        if not resource.custom or package == _ENGINE_PACKAGE:
            continue
        explicit = by_urn.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
        if explicit is not None:
            found[resource.urn] = AnalyzedProvider(
                explicit.type, explicit.name, explicit.urn, explicit.inputs
            )
            continue
        if package not in defaults:
            defaults[package] = default_provider(package, stack, project, config)
        found[resource.urn] = defaults[package]
    return found
