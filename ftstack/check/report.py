"""The check report: what a stack declares, what the policy pack says about it, and the JSON contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftstack.preview import UNKNOWN

if TYPE_CHECKING:
    from ftstack.check.drain import DrainEstimate
    from ftstack.preflight.section import PreflightSection

SECRET_SHOWN = "[secret]"
UNKNOWN_SHOWN = "[unknown until deployed]"


@dataclass(frozen=True)
class ReportedResource:
    """One declared resource, with its properties as a reviewer may see them (secrets masked)."""

    type: str
    name: str
    urn: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    """One policy violation on one resource (or on the stack when `resource` is empty)."""

    policy: str
    level: str
    severity: str
    resource: str
    type: str
    urn: str
    message: str


@dataclass(frozen=True)
class PolicySummary:
    """What the report says about a policy next to its violations."""

    name: str
    description: str
    level: str
    severity: str
    remediation: str


@dataclass(frozen=True)
class CheckReport:
    """The result of `ftstack check` for one stack."""

    stack: str
    environment: str
    production: bool
    enforcement: str
    pack_name: str
    pack_version: str
    resources: list[ReportedResource]
    violations: list[Violation]
    policies: dict[str, PolicySummary] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overrides: list[dict[str, str]] = field(default_factory=list)
    deployments: list[dict[str, str]] = field(default_factory=list)  # name, sku, capacity, model (and why)
    preflight: PreflightSection | None = None  # quota and capacity, or why they were not checked
    drain: DrainEstimate | None = None  # how long the deploy may wait for the jobs, against the runner

    @property
    def mandatory(self) -> list[Violation]:
        """Violations that block a deployment."""
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        """Violations that are shown but do not block."""
        return [v for v in self.violations if v.level != "mandatory"]

    @property
    def compliant(self) -> bool:
        """True when no mandatory policy is violated (the exit code; see `verified` for disabled rules)."""
        return not self.mandatory

    def policies_at(self, level: str) -> list[str]:
        """The policies configured at `level` (advisory or disabled), in pack order."""
        return [name for name, p in self.policies.items() if p.level == level]

    @property
    def verified(self) -> bool:
        """True when every policy ran: a disabled policy checked nothing, so nothing can be called compliant
        over it."""
        return not self.policies_at("disabled")

    def resource_counts(self) -> dict[str, int]:
        """How many resources of each type the stack declares, by type token."""
        return dict(sorted(Counter(r.type for r in self.resources).items()))

    def to_json(self) -> dict[str, Any]:
        """The CLI contract's JSON (`stack`, `resources`, `violations`), plus the verdict and context."""
        return {
            "stack": self.stack,
            # Compliant means no mandatory violation *and* every policy ran; the exit code counts the first.
            "compliant": self.compliant and self.verified,
            "environment": self.environment,
            "production": self.production,
            "enforcement": self.enforcement,
            "policyPack": {"name": self.pack_name, "version": self.pack_version},
            "policyLevels": {name: p.level for name, p in self.policies.items()},
            "resources": [
                {"type": r.type, "name": r.name, "properties": r.properties} for r in self.resources
            ],
            "violations": [
                {
                    "policy": v.policy,
                    "level": v.level,
                    "resource": v.resource,
                    "message": v.message,
                    "severity": v.severity,
                    "type": v.type,
                    "urn": v.urn,
                }
                for v in self.violations
            ],
            "warnings": list(self.warnings),
            "capabilityOverrides": list(self.overrides),
            "deployments": list(self.deployments),
            "notes": list(self.notes),
            "preflight": self.preflight.to_json() if self.preflight is not None else None,
            "drain": self.drain.to_json() if self.drain is not None else None,
        }


def shown_properties(inputs: dict[str, Any], secret_paths: tuple[str, ...]) -> dict[str, Any]:
    """Inputs as the report shows them: secrets masked, unknowns spelled out."""
    shown = _spell_unknowns(inputs)
    for path in secret_paths:
        _mask(shown, path)
    return shown


def _spell_unknowns(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _spell_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spell_unknowns(v) for v in value]
    return UNKNOWN_SHOWN if value == UNKNOWN else value


def _mask(data: dict[str, Any], path: str) -> None:
    """Replace the value at `path` (`a.b[0].c`) with the secret marker, if it is there."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        for index in filter(None, rest.replace("]", "").split("[")):
            steps.append(int(index))
    node: Any = data
    for step in steps[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return
    last = steps[-1] if steps else None
    in_dict = isinstance(node, dict) and isinstance(last, str) and last in node
    in_list = isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)
    if in_dict or in_list:
        node[last] = SECRET_SHOWN
