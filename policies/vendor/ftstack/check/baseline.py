"""The production baseline: the residency and policy settings a pull request may only tighten.

A production stack's floor lives in `policies/baseline/<stack>.yaml`, a file owned by the code owners (see
.github/CODEOWNERS), and optionally in the stack file on the base branch (`FTSTACK_BASE_REF`). The
production-baseline policy compares the stack's current settings with each and names every weakening:
the setting, the baseline's value and the new one. It knows no Pulumi.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ftstack.catalog import load_regions
from ftstack.check.policy_settings import POLICY_NAMES, policy_level
from ftstack.config.schema import ResidencyConfig
from ftstack.config.strict_yaml import YamlInputError, load_untrusted_yaml

BASELINE_FOLDER = "baseline"  # inside the policy pack: policies/baseline/<stack>.yaml
BASE_REF_ENV = "FTSTACK_BASE_REF"
_LEVEL_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2}


class BaselineError(ValueError):
    """A baseline that cannot be read or does not fit the settings' schema; the message names it."""


class ProtectedSettings(BaseModel):
    """What a baseline pins: whether the stack is production, and its whole residency section."""

    model_config = ConfigDict(extra="forbid")
    production: bool
    residency: ResidencyConfig


@dataclass(frozen=True)
class Weakening:
    """One setting a change loosens compared with a baseline."""

    setting: str
    old: str
    new: str

    def message(self, baseline: str) -> str:
        """The one-line violation: the setting, the new value and the baseline's value, and the fix."""
        return (
            f"{self.setting} is {self.new}, weaker than the production baseline's {self.old} ({baseline}). "
            f"Fix: restore {self.setting} to {self.old} (or stricter); a baseline changes only in a pull "
            "request the code owners approve."
        )


def _plain(value: Any) -> Any:
    """`value` as plain JSON data: mappings and sequences copied (the analyzer hands read-only proxies), and
    whole floats as ints (gRPC carries every number as a float; the config schema is strict)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def settings_from(data: Mapping[str, Any], label: str) -> ProtectedSettings:
    """Protected settings parsed from `{"production", "residency"}`; BaselineError naming `label`."""
    try:
        return ProtectedSettings.model_validate(_plain(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BaselineError(f"{label}: {where}: {first['msg']}") from None


def baseline_path(pack_dir: Path, stack: str) -> Path:
    """Where the baseline of `stack` lives in the pack."""
    return pack_dir / BASELINE_FOLDER / f"{stack}.yaml"


def load_baseline(pack_dir: Path, stack: str) -> ProtectedSettings | None:
    """The stack's baseline, or None when it has none; BaselineError when the file is unreadable."""
    path = baseline_path(pack_dir, stack)
    if not path.is_file():
        return None
    label = f"{pack_dir.name}/{BASELINE_FOLDER}/{path.name}"
    try:
        data = load_untrusted_yaml(path.read_bytes())
    except OSError as exc:
        raise BaselineError(f"{label}: cannot be read ({exc})") from None
    except YamlInputError as exc:
        raise BaselineError(f"{label}: {exc}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{label}: must be a mapping with production and residency")
    return settings_from(data, label)


def base_ref_settings(project_dir: Path, stack_source: str, ref: str) -> ProtectedSettings | None:
    """The stack's settings in its stack file at git `ref` (the pull request's base), or None when the file
    does not exist there (a new stack); BaselineError when git cannot read the ref."""
    done = subprocess.run(
        ["git", "-C", str(project_dir), "show", f"{ref}:./{stack_source}"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", errors="replace")
        error = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {done.returncode}"
        if "does not exist in" in error or "exists on disk, but not in" in error:
            return None
        raise BaselineError(f"{BASE_REF_ENV}={ref}: git cannot read {stack_source} there: {error}")
    label = f"{ref}:{stack_source}"
    try:
        # The base ref's file is as untrusted as the pull request's: the same budgets (aliases, depth, size).
        document = load_untrusted_yaml(done.stdout) or {}
    except YamlInputError as exc:
        raise BaselineError(f"{label}: {exc}") from None
    env = (document.get("config") or {}).get("ftstack:environment") if isinstance(document, dict) else None
    if not isinstance(env, dict):
        return None
    return settings_from(
        {"production": env.get("production", False), "residency": env.get("residency") or {}}, label
    )


def _regions(geographies: list[str]) -> frozenset[str] | None:
    """The regions the geographies allow; None for no restriction (an empty list)."""
    if not geographies:
        return None
    return frozenset(r.name for r in load_regions() if any(r.in_geography(g) for g in geographies))


def _shown(value: object) -> str:
    if isinstance(value, list):
        return f"[{', '.join(str(v) for v in value)}]" if value else "[] (no restriction)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def weakenings(baseline: ProtectedSettings, current: ProtectedSettings) -> list[Weakening]:
    """Every setting `current` loosens compared with `baseline`; empty when it only keeps or tightens."""
    old, new = baseline.residency, current.residency
    found: list[Weakening] = []

    def loosened(setting: str, before: object, after: object) -> None:
        found.append(Weakening(setting, _shown(before), _shown(after)))

    if baseline.production and not current.production:
        loosened("production", True, False)
    if _LEVEL_RANK[new.enforcement] < _LEVEL_RANK[old.enforcement]:
        loosened("residency.enforcement", old.enforcement, new.enforcement)
    for name in POLICY_NAMES:
        before, after = policy_level(old, name), policy_level(new, name)
        if _LEVEL_RANK[after] < _LEVEL_RANK[before]:
            loosened(f"the level of policy {name} (residency.policyLevels)", before, after)
    old_regions, new_regions = _regions(old.allowed_geographies), _regions(new.allowed_geographies)
    if old_regions is not None and (new_regions is None or not new_regions <= old_regions):
        loosened("residency.allowedGeographies", old.allowed_geographies, new.allowed_geographies)
    if new.allow_global_training and not old.allow_global_training:
        loosened("residency.allowGlobalTraining", False, True)
    added = [sku for sku in new.allowed_deployment_skus if sku not in old.allowed_deployment_skus]
    if added:
        loosened("residency.allowedDeploymentSkus", old.allowed_deployment_skus, new.allowed_deployment_skus)
    if old.require_private_endpoint and not new.require_private_endpoint:
        loosened("residency.requirePrivateEndpoint", True, False)
    if old.require_customer_managed_key and not new.require_customer_managed_key:
        loosened("residency.requireCustomerManagedKey", True, False)
    if new.max_deployment_capacity > old.max_deployment_capacity:
        loosened("residency.maxDeploymentCapacity", old.max_deployment_capacity, new.max_deployment_capacity)
    old_models = {m.strip().lower() for m in old.allowed_base_models}
    new_models = {m.strip().lower() for m in new.allowed_base_models}
    if old_models and (not new_models or not new_models <= old_models):
        loosened("residency.allowedBaseModels", old.allowed_base_models, new.allowed_base_models)
    return found
