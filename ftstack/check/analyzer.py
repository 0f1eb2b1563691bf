"""A client for the real CrossGuard analyzer: `python -m pulumi.policy` over its gRPC protocol.

It starts the pack the way the Pulumi CLI's `pulumi-analyzer-policy-python` plugin does, reads the port it
prints, reconciles a `--policy-pack-config` document with the pack's schemas (defaults filled in, values
validated, the `all` level applied) and configures it, then analyzes resources one by one and the stack
as a whole. No Pulumi CLI and no engine are involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ftstack.check.pack_process import AnalyzerError, PackProcess

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "unspecified",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
ALL_POLICIES = "all"
RPC_TIMEOUT_SECONDS = 60.0


class PolicyConfigError(ValueError):
    """A policy-pack config document that does not fit the pack; `problems` holds one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it."""

    name: str
    description: str
    level: str
    severity: str
    kind: str  # "resource" or "stack"
    config_schema: dict[str, Any]
    required: tuple[str, ...]
    remediation: str


@dataclass(frozen=True)
class PackInfo:
    """The pack's name, version and policies."""

    name: str
    version: str
    policies: tuple[PolicyInfo, ...]

    def policy(self, name: str) -> PolicyInfo | None:
        """The policy called `name`, if the pack has one."""
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic: a violation (or a can't-run-during-preview note) of a policy."""

    policy: str
    level: str
    severity: str
    message: str
    urn: str
    description: str


@dataclass(frozen=True)
class AnalyzedProvider:
    """The provider of a resource as the engine describes it to the analyzer: its inputs (for a default
    provider, the stack's `<package>:<key>` config, such as `azure-native:location`)."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]

    def message(self) -> analyzer_pb2.AnalyzerProviderResource:
        """The protocol's form of this provider."""
        return analyzer_pb2.AnalyzerProviderResource(
            type=self.type, name=self.name, urn=self.urn, properties=_struct(self.properties)
        )


@dataclass(frozen=True)
class AnalyzedResource:
    """A resource as the engine hands it to the analyzer: inputs, its provider and its place in the graph."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    parent: str | None = None
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: AnalyzedProvider | None = None


def reconcile_config(pack: PackInfo, config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each policy's (level, properties) as the CLI computes them from a `--policy-pack-config` document.

    Levels: the policy's own entry, else `all`, else the pack's default. Properties: schema defaults
    overlaid with the document's values, validated against the policy's schema. PolicyConfigError lists
    every problem.
    """
    problems: list[str] = []
    known = {p.name for p in pack.policies}
    for key in config:
        if key != ALL_POLICIES and key not in known:
            problems.append(f"policy config names {key!r}, which is not a policy of {pack.name}")
    levels = ", ".join(LEVEL_VALUES)
    all_level = config.get(ALL_POLICIES)
    if all_level is not None and all_level not in LEVEL_VALUES:
        problems.append(f"policy config 'all': {all_level!r} is not one of {levels}")
    reconciled: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in pack.policies:
        entry = config.get(policy.name)
        given: dict[str, Any] = {}
        level = all_level if all_level in LEVEL_VALUES else policy.level
        own = entry.get("enforcementLevel") if isinstance(entry, Mapping) else entry
        if isinstance(entry, Mapping):
            given = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        elif entry is not None and not isinstance(entry, str):
            problems.append(f"policy config {policy.name!r} must be a level or an object, got {entry!r}")
            own = None
        if own is not None and own not in LEVEL_VALUES:
            problems.append(f"policy config {policy.name!r}: level {own!r} is not one of {levels}")
        elif own is not None:
            level = own
        properties = {k: s["default"] for k, s in policy.config_schema.items() if "default" in s} | given
        schema = {
            "type": "object",
            "properties": policy.config_schema,
            "required": list(policy.required),
            "additionalProperties": False,
        }
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(properties), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in error.path)
            problems.append(f"policy config {policy.name}{'.' + where if where else ''}: {error.message}")
        reconciled[policy.name] = (str(level), properties)
    if problems:
        raise PolicyConfigError(problems)
    return reconciled


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A protobuf Struct of JSON-able values (numbers become floats, as on the wire from the engine)."""
    message = struct_pb2.Struct()
    message.update(json.loads(json.dumps(dict(values), default=str)))
    return message


class Analyzer:
    """The policy pack in `pack_dir`, served by a real `python -m pulumi.policy` process.

    Give `process` to connect to a pack already launched in the background (`PackProcess.launch()`), so that
    its start-up overlaps other work; otherwise `start()` launches it.
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        python_path: Iterable[Path] = (),
        python: str | None = None,
        process: PackProcess | None = None,
    ):
        self._pack = process or PackProcess(pack_dir, python_path=python_path, python=python)
        self.pack_dir = self._pack.pack_dir
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: PackInfo | None = None

    # --- process -----------------------------------------------------------------------------------

    def start(self) -> Analyzer:
        """Start the analyzer (unless launched already) and connect to it; AnalyzerError (with its stderr)
        when it does not come up. A second call does nothing."""
        if self._stub is None:
            port = self._pack.port()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self

    def _stderr_text(self) -> str:
        return self._pack.stderr_text()

    def close(self) -> None:
        """Stop the analyzer process and release the channel."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._stub = None
        self._pack.close()

    def __enter__(self) -> Analyzer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """The gRPC stub; AnalyzerError when the analyzer is not running."""
        if self._stub is None:
            raise AnalyzerError("the analyzer is not running; use it as a context manager or call start()")
        return self._stub

    def _call(self, method: str, request: object) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            raise AnalyzerError(f"{method} failed: {exc}; analyzer stderr: {self._stderr_text()}") from exc

    # --- protocol ----------------------------------------------------------------------------------

    def info(self) -> PackInfo:
        """The pack's name, version and policies (GetAnalyzerInfo), fetched once."""
        if self._info is None:
            reply = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            policies = tuple(
                PolicyInfo(
                    name=p.name,
                    description=p.description,
                    level=LEVELS.get(p.enforcementLevel, "advisory"),
                    severity=SEVERITIES.get(p.severity, "unspecified"),
                    kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                    config_schema=json_format.MessageToDict(p.configSchema.properties),
                    required=tuple(p.configSchema.required),
                    remediation=p.remediation_steps,
                )
                for p in reply.policies
            )
            self._info = PackInfo(reply.name, reply.version, policies)
        return self._info

    def configure(self, config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
        """Configure every policy from a `--policy-pack-config` document; the reconciled (level, properties)."""
        reconciled = reconcile_config(self.info(), config)
        request = analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=LEVEL_VALUES[level], properties=_struct(props)
                )
                for name, (level, props) in reconciled.items()
            }
        )
        self._call("Configure", request)
        return reconciled

    def analyze(self, resource: AnalyzedResource) -> list[Diagnostic]:
        """Run every resource policy on one resource's inputs."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=_struct(resource.properties),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or ""),
            provider=resource.provider.message() if resource.provider is not None else None,
        )
        return self._diagnostics(self._call("Analyze", request), resource.urn)

    def analyze_stack(self, resources: Sequence[AnalyzedResource]) -> list[Diagnostic]:
        """Run every stack policy on the whole set of resources, with parents and dependencies."""
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    name=r.name,
                    urn=r.urn,
                    properties=_struct(r.properties),
                    options=analyzer_pb2.AnalyzerResourceOptions(parent=r.parent or ""),
                    provider=r.provider.message() if r.provider is not None else None,
                    parent=r.parent or "",
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in resources
            ]
        )
        return self._diagnostics(self._call("AnalyzeStack", request), "")

    def _diagnostics(self, reply: Any, default_urn: str) -> list[Diagnostic]:
        found = []
        for d in reply.diagnostics:
            # The servicer prefixes each message with the policy's description; keep the specific part.
            prefix = f"{d.description}\n"
            message = d.message[len(prefix) :] if d.message.startswith(prefix) else d.message
            found.append(
                Diagnostic(
                    policy=d.policyName,
                    level=LEVELS.get(d.enforcementLevel, "advisory"),
                    severity=SEVERITIES.get(d.severity, "unspecified"),
                    message=message,
                    urn=d.urn or default_urn,
                    description=d.description,
                )
            )
        return found
