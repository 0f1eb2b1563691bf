"""The gRPC ResourceProvider that stands in for azure-native: each call translated into local Azure REST calls.

It holds no state of its own. The per-type facts come from resource_types, the shape mapping from shapes, the
diff from diff, the REST calls from arm_client; this module only unpacks requests and packs answers.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from ftstack.local.provider.arm_client import ArmClient, ArmError
from ftstack.local.provider.diff import diff_inputs
from ftstack.local.provider.resource_types import ResourceType, resource_type
from ftstack.local.provider.shapes import (
    body_from_inputs,
    inputs_from_read,
    outputs_from_arm,
    preview_create_outputs,
    preview_update_outputs,
)
from ftstack.local.provider.values import Path, conceal, from_struct, is_unknown, reveal, to_struct

PLUGIN_VERSION = "3.29.0"
URL_ENV = "FTSTACK_LOCAL_AZURE_URL"
TOKEN_ENV = "FTSTACK_LOCAL_AZURE_TOKEN"
DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000aa"
# The identity `ftstack local` deploys as: fixed, so role assignments to "the deployer" are stable.
LOCAL_TENANT_ID = "00000000-0000-0000-0000-0000000000ee"
LOCAL_CLIENT_ID = "00000000-0000-0000-0000-0000000000c1"
LOCAL_OBJECT_ID = "00000000-0000-0000-0000-0000000000d1"
CLIENT_CONFIG_INVOKE = "azure-native:authorization:getClientConfig"
CLIENT_TOKEN_INVOKE = "azure-native:authorization:getClientToken"

log = logging.getLogger(__name__)
Handler = TypeVar("Handler", bound=Callable[..., Any])


class ProviderError(Exception):
    """A refusal to show the user as it is, with the gRPC status to carry it."""

    def __init__(self, message: str, code: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION) -> None:
        super().__init__(message)
        self.code = code


def _reports_errors(handler: Handler) -> Handler:
    """Turn ArmError and ProviderError into gRPC errors whose message the engine prints as the cause."""

    @functools.wraps(handler)
    def wrapper(self: LocalAzureProvider, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return handler(self, request, context)
        except ArmError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        except ProviderError as exc:
            context.abort(exc.code, str(exc))

    return wrapper  # type: ignore[return-value]


def local_azure_endpoint() -> tuple[str, str]:
    """The local Azure server's URL and token from the environment `ftstack local` sets."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        raise ProviderError(
            f"the local Azure provider stands in for azure-native only under `ftstack local`; {URL_ENV} is not set"
        )
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ProviderError(
            f"the local Azure provider stands in for azure-native only under `ftstack local`; {TOKEN_ENV} is not set"
        )
    return url, token


def _urn_parts(urn: str) -> tuple[str, str]:
    """(type token, resource name) of `urn:pulumi:stack::project::[parent$]type::name`."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return "", ""
    return parts[2].rsplit("$", 1)[-1], parts[3]


class LocalAzureProvider(provider_pb2_grpc.ResourceProviderServicer):
    """azure-native's ResourceProvider service, backed by the local Azure server."""

    def __init__(
        self, client_factory: Callable[[str, str, threading.Event], ArmClient] | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._client: ArmClient | None = None
        self._config: dict[str, Any] = {}
        self._client_factory = client_factory or (
            lambda url, token, cancelled: ArmClient(url, token, cancelled=cancelled)
        )

    # --- the provider itself -------------------------------------------------------------------------------

    def Handshake(  # noqa: N802 (gRPC method name)
        self, request: provider_pb2.ProviderHandshakeRequest, context: grpc.ServicerContext
    ) -> provider_pb2.ProviderHandshakeResponse:
        """Agree the protocol: secrets and resource references yes, output values and autonaming config no."""
        return provider_pb2.ProviderHandshakeResponse(
            accept_secrets=True,
            accept_resources=True,
            accept_outputs=False,
            supports_autonaming_configuration=False,
        )

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:  # noqa: N802
        """The azure-native version this provider stands in for."""
        return plugin_pb2.PluginInfo(version=PLUGIN_VERSION)

    def GetSchema(  # noqa: N802
        self, request: provider_pb2.GetSchemaRequest, context: grpc.ServicerContext
    ) -> provider_pb2.GetSchemaResponse:
        """No schema: the program brings the pulumi_azure_native SDK."""
        return provider_pb2.GetSchemaResponse(schema="{}")

    @_reports_errors
    def CheckConfig(  # noqa: N802
        self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext
    ) -> provider_pb2.CheckResponse:
        """The provider config as given, once the local Azure is known to be there."""
        local_azure_endpoint()
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(  # noqa: N802
        self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext
    ) -> provider_pb2.DiffResponse:
        """A config change never replaces resources of the local Azure."""
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    @_reports_errors
    def Configure(  # noqa: N802
        self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext
    ) -> provider_pb2.ConfigureResponse:
        """Remember the config (subscription, tenant) and connect to the local Azure server."""
        url, token = local_azure_endpoint()
        config, _ = reveal(from_struct(request.args))
        for key, value in request.variables.items():
            config.setdefault(key.rsplit(":", 1)[-1], value)
        with self._lock:
            self._config = config
            if self._client is not None:
                self._client.close()
            self._client = self._client_factory(url, token, self._cancelled)
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False
        )

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        """Stop waiting on ARM: retries and provisioning polls give up."""
        self._cancelled.set()
        return empty_pb2.Empty()

    def Attach(self, request: plugin_pb2.PluginAttach, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        """Nothing to do: the provider never calls back into the engine."""
        return empty_pb2.Empty()

    # --- resources -----------------------------------------------------------------------------------------

    @_reports_errors
    def Check(  # noqa: N802
        self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext
    ) -> provider_pb2.CheckResponse:
        """The inputs with azure-native's defaults and auto-name applied, or why they cannot be used."""
        token, urn_name = self._token_and_name(request)
        news = from_struct(request.news)
        plain, _ = reveal(news)
        rtype = resource_type(token, plain)
        checked = dict(news)
        for key, value in rtype.defaults.items():
            if checked.get(key) is None:
                checked[key] = value
        failures: list[provider_pb2.CheckFailure] = []
        if plain.get(rtype.name_param) is None:
            name = self._auto_name(rtype, request, urn_name)
            if name is None:
                failures.append(_missing(rtype.name_param))
            else:
                checked[rtype.name_param] = name
        for key in (*rtype.path_params, *rtype.required):
            if key != rtype.name_param and plain.get(key) in (None, ""):
                failures.append(_missing(key))
        return provider_pb2.CheckResponse(inputs=to_struct(checked), failures=failures)

    @staticmethod
    def _auto_name(rtype: ResourceType, request: provider_pb2.CheckRequest, urn_name: str) -> str | None:
        """The old name on an update, else a new one: `<urn name>-<7 hex>` (or a GUID), seeded by the engine."""
        olds, _ = reveal(from_struct(request.olds))
        old_name = olds.get(rtype.name_param)
        if isinstance(old_name, str) and old_name and not is_unknown(old_name):
            return old_name
        if rtype.autoname == "none":
            return None
        seed = (
            hashlib.sha256(request.randomSeed + request.urn.encode()).digest() if request.randomSeed else None
        )
        if rtype.autoname == "uuid":
            return str(uuid.UUID(bytes=seed[:16], version=4) if seed else uuid.uuid4())
        suffix = seed.hex()[:7] if seed else secrets.token_hex(4)[:7]
        return f"{urn_name}-{suffix}"

    @_reports_errors
    def Diff(  # noqa: N802
        self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext
    ) -> provider_pb2.DiffResponse:
        """Changed inputs, the ones that replace the resource, and delete-first for a named resource."""
        token, urn_name = self._token_and_name(request)
        news, _ = reveal(from_struct(request.news))
        old_inputs, _ = reveal(from_struct(request.old_inputs))
        if not old_inputs:
            old_inputs, _ = reveal(from_struct(request.olds))
        rtype = resource_type(token, news)
        result = diff_inputs(rtype, old_inputs, news, list(request.ignoreChanges), urn_name)
        detailed = {
            path: provider_pb2.PropertyDiff(
                kind=provider_pb2.PropertyDiff.Kind.Value(change.value), inputDiff=True
            )
            for path, change in result.detailed.items()
        }
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if result.changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=result.replace_keys,
            diffs=result.changed_keys,
            detailedDiff=detailed,
            hasDetailedDiff=True,
            deleteBeforeReplace=result.delete_before_replace,
        )

    @_reports_errors
    def Create(  # noqa: N802
        self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext
    ) -> provider_pb2.CreateResponse:
        """PUT the resource; in a preview, the inputs with what ARM computes unknown."""
        token, _ = self._token_and_name(request)
        inputs, hidden = reveal(from_struct(request.properties))
        rtype = resource_type(token, inputs)
        if request.preview:
            outputs = preview_create_outputs(rtype, inputs)
            return provider_pb2.CreateResponse(id="", properties=to_struct(conceal(outputs, hidden)))
        arm_id = rtype.arm_id(inputs, self._subscription())
        resource = self._arm().put(
            arm_id, rtype.api_version, body_from_inputs(rtype, inputs), request.timeout
        )
        outputs = outputs_from_arm(rtype, resource)
        return provider_pb2.CreateResponse(id=arm_id, properties=to_struct(conceal(outputs, hidden)))

    @_reports_errors
    def Update(  # noqa: N802
        self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext
    ) -> provider_pb2.UpdateResponse:
        """PUT the whole new body; in a preview, the old outputs with the new inputs over them."""
        token, _ = self._token_and_name(request)
        news, hidden = reveal(from_struct(request.news))
        rtype = resource_type(token, news)
        if request.preview:
            old_outputs, _ = reveal(from_struct(request.olds))
            old_inputs, _ = reveal(from_struct(request.old_inputs))
            outputs = preview_update_outputs(rtype, news, old_outputs, old_inputs)
        else:
            arm_id = request.id or rtype.arm_id(news, self._subscription())
            resource = self._arm().put(
                arm_id, rtype.api_version, body_from_inputs(rtype, news), request.timeout
            )
            outputs = outputs_from_arm(rtype, resource)
        return provider_pb2.UpdateResponse(properties=to_struct(conceal(outputs, hidden)))

    @_reports_errors
    def Read(  # noqa: N802
        self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext
    ) -> provider_pb2.ReadResponse:
        """GET the resource: its outputs and the inputs they imply; an empty id when it is gone."""
        token, _ = self._token_and_name(request)
        old_inputs, input_secrets = reveal(from_struct(request.inputs))
        _, output_secrets = reveal(from_struct(request.properties))
        rtype = resource_type(token, old_inputs)
        resource = self._arm().get(request.id, rtype.api_version)
        if resource is None:
            return provider_pb2.ReadResponse(id="")
        outputs = outputs_from_arm(rtype, resource)
        inputs = inputs_from_read(rtype, outputs, old_inputs, request.id)
        hidden: list[Path] = [*output_secrets, *input_secrets]
        return provider_pb2.ReadResponse(
            id=request.id,
            properties=to_struct(conceal(outputs, hidden)),
            inputs=to_struct(conceal(inputs, input_secrets)),
        )

    @_reports_errors
    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        """DELETE the resource; one that is already gone is deleted."""
        token, _ = self._token_and_name(request)
        old_inputs, _ = reveal(from_struct(request.old_inputs))
        rtype = resource_type(token, old_inputs)
        self._arm().delete(request.id, rtype.api_version, request.timeout)
        return empty_pb2.Empty()

    # --- functions -----------------------------------------------------------------------------------------

    @_reports_errors
    def Invoke(  # noqa: N802
        self, request: provider_pb2.InvokeRequest, context: grpc.ServicerContext
    ) -> provider_pb2.InvokeResponse:
        """getClientConfig (the local deployer's identity) and getClientToken; other functions are refused."""
        if request.tok == CLIENT_CONFIG_INVOKE:
            config = self._config
            answer = {
                "clientId": str(config.get("clientId") or LOCAL_CLIENT_ID),
                "objectId": LOCAL_OBJECT_ID,
                "subscriptionId": self._subscription(),
                "tenantId": str(config.get("tenantId") or LOCAL_TENANT_ID),
            }
            return _invoke_response(answer)
        if request.tok == CLIENT_TOKEN_INVOKE:
            _, token = local_azure_endpoint()
            return _invoke_response({"token": token})
        raise ProviderError(
            f"the local Azure provider does not implement the function {request.tok}; "
            f"it serves {CLIENT_CONFIG_INVOKE} and {CLIENT_TOKEN_INVOKE}",
            grpc.StatusCode.UNIMPLEMENTED,
        )

    # --- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _token_and_name(request: Any) -> tuple[str, str]:
        token, name = _urn_parts(request.urn)
        token = request.type or token
        name = request.name or name
        if not token.startswith("azure-native:"):
            raise ProviderError(
                f"{token or request.urn} is not an azure-native resource", grpc.StatusCode.INVALID_ARGUMENT
            )
        return token, name

    def _subscription(self) -> str:
        return str(self._config.get("subscriptionId") or DEFAULT_SUBSCRIPTION_ID)

    def _arm(self) -> ArmClient:
        with self._lock:
            if self._client is None:
                raise ProviderError("the local Azure provider was used before the engine configured it")
            return self._client


def _missing(key: str) -> provider_pb2.CheckFailure:
    return provider_pb2.CheckFailure(property=key, reason=f"missing required property '{key}'")


def _invoke_response(answer: dict[str, Any]) -> provider_pb2.InvokeResponse:
    """An InvokeResponse returning `answer` (`return` is a Python keyword, so the field is set by name)."""
    response = provider_pb2.InvokeResponse()
    getattr(response, "return").CopyFrom(to_struct(answer))
    return response
