"""Short, readable summaries of declared resources: the properties a reviewer looks at first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ftstack.catalog.roles import load_roles
from ftstack.preview.capture import UNKNOWN, DeclaredResource

KNOWN_AFTER_DEPLOY = "(known after deploy)"


def short_type(type_: str) -> str:
    """`azure-native:cognitiveservices:Account` -> `cognitiveservices:Account`; dynamic tokens likewise."""
    return type_.removeprefix("azure-native:").removeprefix("pulumi-python:dynamic/")


def key_properties(resource: DeclaredResource) -> dict[str, str]:
    """The properties that matter most for this resource type, as display strings (empty for components)."""
    pick = _PICKERS.get(resource.type)
    if pick is None:
        return {}
    return {key: _show(value) for key, value in pick(resource.inputs).items()}


def _show(value: Any) -> str:
    if value == UNKNOWN:
        return KNOWN_AFTER_DEPLOY
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _last(arm_id: Any) -> Any:
    return arm_id.rstrip("/").rsplit("/", 1)[-1] if isinstance(arm_id, str) and arm_id != UNKNOWN else arm_id


def _account(i: dict[str, Any]) -> dict[str, Any]:
    p = i.get("properties", {})
    return {
        "kind": i.get("kind"),
        "location": i.get("location"),
        "publicNetworkAccess": p.get("publicNetworkAccess"),
        "disableLocalAuth": p.get("disableLocalAuth"),
        "networkAcls": p.get("networkAcls", {}).get("defaultAction"),
    }


def _endpoint(i: dict[str, Any]) -> dict[str, Any]:
    connections = i.get("privateLinkServiceConnections") or [{}]
    subnet = _last(i.get("subnet", {}).get("id"))
    return {"location": i.get("location"), "groupIds": connections[0].get("groupIds"), "subnet": subnet}


def _role(i: dict[str, Any]) -> dict[str, Any]:
    guid = _last(i.get("roleDefinitionId"))
    names = {load_roles().get(n).guid: n for n in load_roles().names()}
    return {"role": names.get(guid, guid), "principal": i.get("principalId"), "type": i.get("principalType")}


def _deployment(i: dict[str, Any]) -> dict[str, Any]:
    sku = i.get("sku", {})
    return {
        "sku": f"{sku.get('name')} x {_show(sku.get('capacity'))}",
        "model": i["properties"]["model"]["name"],
    }


def _job(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": f"{i.get('base_model')} ({i.get('model_version')})",
        "training": i.get("training_type"),
        "data": i.get("training_file"),
    }


_PICKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azure-native:resources:ResourceGroup": lambda i: {"location": i.get("location")},
    "azure-native:cognitiveservices:Account": _account,
    "azure-native:network:PrivateEndpoint": _endpoint,
    "azure-native:privatedns:PrivateZone": lambda i: {"zone": i.get("privateZoneName")},
    "azure-native:privatedns:VirtualNetworkLink": lambda i: {
        "zone": i.get("privateZoneName"),
        "vnet": _last(i.get("virtualNetwork", {}).get("id")),
    },
    "azure-native:network:PrivateDnsZoneGroup": lambda i: {
        "zones": [c.get("name") for c in i.get("privateDnsZoneConfigs", [])]
    },
    "azure-native:authorization:RoleAssignment": _role,
    "azure-native:operationalinsights:Workspace": lambda i: {"retentionDays": i.get("retentionInDays")},
    "azure-native:monitor:DiagnosticSetting": lambda i: {
        "logs": [log.get("category") for log in i.get("logs", [])],
        "metrics": [m.get("category") for m in i.get("metrics", [])],
    },
    "azure-native:cognitiveservices:Deployment": _deployment,
    "pulumi-python:dynamic/ftstack:FineTuningJob": _job,
}
