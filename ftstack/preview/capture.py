"""A mock resource monitor that records every RegisterResource request with its options and outputs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks

UNKNOWN = rpc.UNKNOWN
"""How a value that is unknown until the resource exists (preview mode) appears in recorded properties:
the engine's own sentinel string, so the policy analyzer treats it as unknown too."""

ENGINE_ONLY_INPUTS = ("__provider",)  # the pickled dynamic provider: engine plumbing, not a property


@dataclass(frozen=True)
class DeclaredResource:
    """One resource the program declared, as the engine would receive it.

    `inputs` are the registered properties (camelCase, numbers as floats, secrets unwrapped; unknowns as
    UNKNOWN); `secret_paths` lists the property paths that were secret (`properties.encryption.keyName`,
    `items[0]`); `outputs` are what the mock provider returned; `dependencies` and
    `property_dependencies` hold URNs; `parent_urn` of a top-level resource is the root stack's URN
    (`...::pulumi:pulumi:Stack::<project>-<stack>`), which is not itself a declared resource.
    """

    type: str
    name: str
    urn: str
    parent_urn: str
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    secret_paths: tuple[str, ...]
    outputs: dict[str, Any]
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What the engine also hands a policy analyzer: the provider reference (`<urn>::<id>`, empty for the
    # default provider) and the engine-only inputs (a dynamic resource's pickled `__provider`).
    provider: str = ""
    engine_inputs: dict[str, Any] = field(default_factory=dict)


class CapturingMonitor(MockMonitor):
    """MockMonitor that keeps every registration (in order) as a DeclaredResource."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.declared: list[DeclaredResource] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Register through the mocks, then record the request's properties, options and the outputs."""
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        secrets: list[str] = []
        raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
        inputs = {k: plain(v, k, secrets) for k, v in raw.items() if k not in ENGINE_ONLY_INPUTS}
        state = rpc.deserialize_properties(response.object, keep_unknowns=True) if request.custom else {}
        outputs = {k: plain(v, k, []) for k, v in state.items() if k not in ENGINE_ONLY_INPUTS}
        resource = DeclaredResource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent_urn=request.parent,
            custom=bool(request.custom),
            id=response.id or None,
            inputs=inputs,
            secret_paths=tuple(secrets),
            outputs=outputs,
            dependencies=tuple(request.dependencies),
            property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
            provider=request.provider,
            engine_inputs={k: plain(raw[k], k, []) for k in ENGINE_ONLY_INPUTS if k in raw},
        )
        with self._lock:
            self.declared.append(resource)
        return response


def plain(value: Any, path: str, secrets: list[str]) -> Any:
    """`value` with secrets unwrapped (their paths appended to `secrets`) and unknowns as UNKNOWN."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if rpc.is_rpc_secret(value):
        secrets.append(path)
        return plain(rpc.unwrap_rpc_secret(value), path, secrets)
    if isinstance(value, dict):
        return {k: plain(v, f"{path}.{k}" if path else str(k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value
