"""Pulumi's shape of an azure-native resource and ARM's shape of the same resource, each from the other.

The pulumi_azure_native SDK sends inputs camelCase with the path parameters (resourceGroupName, accountName...)
beside the body; most types also hoist ARM's `properties` to the top level. ARM wants the body alone, with
`properties` nested. These functions translate one way and the other, on plain values (secrets revealed).
"""

from __future__ import annotations

import copy
from typing import Any

from ftstack.local.provider.resource_types import ResourceType
from ftstack.local.provider.values import UNKNOWN, is_unknown, whole_numbers

# Keys a nested sub-resource ({name, id, properties}) keeps beside its `properties`.
_SUB_RESOURCE_TOP = ("id", "name", "type", "etag")
EACH = "[]"


def split_path(path: str) -> list[str]:
    """`a.b[].c` as its segments, `[]` standing for every item of a list."""
    segments: list[str] = []
    for part in path.split("."):
        while part.endswith(EACH):
            part = part[: -len(EACH)]
            segments.extend([part, EACH] if part else [EACH])
            part = ""
        if part:
            segments.append(part)
    return segments


def body_from_inputs(rtype: ResourceType, inputs: dict[str, Any]) -> dict[str, Any]:
    """The ARM request body for these Pulumi inputs: path parameters dropped, `properties` nested if flattened."""
    body_inputs = {k: v for k, v in inputs.items() if k not in rtype.path_params}
    if not rtype.flatten:
        return whole_numbers(body_inputs)
    body: dict[str, Any] = {k: v for k, v in body_inputs.items() if k in rtype.arm_top_level}
    properties = {k: v for k, v in body_inputs.items() if k not in rtype.arm_top_level}
    for key in rtype.nested_flatten:
        if isinstance(properties.get(key), list):
            properties[key] = [_nest_sub_resource(item) for item in properties[key]]
    body["properties"] = properties
    return whole_numbers(body)


def _nest_sub_resource(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    nested = {k: v for k, v in item.items() if k in _SUB_RESOURCE_TOP}
    properties = {k: v for k, v in item.items() if k not in _SUB_RESOURCE_TOP}
    if properties:
        nested["properties"] = properties
    return nested


def _flatten_sub_resource(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
        return item
    flat = {k: v for k, v in item.items() if k != "properties"}
    flat.update(item["properties"])
    return flat


def outputs_from_arm(rtype: ResourceType, resource: dict[str, Any]) -> dict[str, Any]:
    """The Pulumi outputs for an ARM resource: `id` dropped (it is the resource id), `properties` hoisted."""
    outputs = {k: copy.deepcopy(v) for k, v in resource.items() if k != "id"}
    if rtype.flatten:
        properties = outputs.pop("properties", None)
        if isinstance(properties, dict):
            for key in rtype.nested_flatten:
                if isinstance(properties.get(key), list):
                    properties[key] = [_flatten_sub_resource(item) for item in properties[key]]
            outputs.update(properties)
    outputs["azureApiVersion"] = rtype.api_version
    return outputs


def preview_create_outputs(rtype: ResourceType, inputs: dict[str, Any]) -> dict[str, Any]:
    """What a create will output, as far as a preview knows: the inputs' shape, ARM-computed values unknown."""
    outputs = outputs_from_arm(rtype, body_from_inputs(rtype, inputs))
    for path in rtype.computed:
        _mark_unknown(outputs, split_path(path), top=True)
    return outputs


def _mark_unknown(value: Any, segments: list[str], top: bool) -> None:
    """Set the value at `segments` unknown; parents are created only for ARM's ever-present `properties`."""
    head, rest = segments[0], segments[1:]
    if head == EACH:
        if isinstance(value, list):
            for item in value:
                if rest:
                    _mark_unknown(item, rest, top=False)
        return
    if not isinstance(value, dict):
        return
    if not rest:
        if value.get(head) is None:
            value[head] = UNKNOWN
        return
    if head not in value and top and head == "properties":
        value[head] = {}
    child = value.get(head)
    if isinstance(child, dict | list) and not is_unknown(child):
        _mark_unknown(child, rest, top=False)


def preview_update_outputs(
    rtype: ResourceType, news: dict[str, Any], old_outputs: dict[str, Any], old_inputs: dict[str, Any]
) -> dict[str, Any]:
    """What an in-place update will output, as far as a preview knows: the old outputs with the new inputs over them."""
    merged = copy.deepcopy(old_outputs)
    new_shape = outputs_from_arm(rtype, body_from_inputs(rtype, news))
    old_shape = outputs_from_arm(rtype, body_from_inputs(rtype, old_inputs))
    for key in old_shape:
        if key not in new_shape:
            merged.pop(key, None)
    return _deep_merge(merged, new_shape)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def inputs_from_read(
    rtype: ResourceType, outputs: dict[str, Any], old_inputs: dict[str, Any], arm_id: str
) -> dict[str, Any]:
    """The inputs a read implies: the old inputs' keys with the live values, path parameters from the id."""
    params = rtype.params_from_id(arm_id)
    live = {k: v for k, v in outputs.items() if k not in ("azureApiVersion",)}
    if old_inputs:
        inputs = _project(old_inputs, live)
    else:
        computed_top = {split_path(p)[0] for p in rtype.computed if len(split_path(p)) == 1}
        inputs = {k: v for k, v in live.items() if k not in computed_top}
    for key in rtype.path_params:
        if key in old_inputs:
            inputs[key] = old_inputs[key]
        elif key in params:
            inputs[key] = params[key]
    return inputs


def _project(shape: Any, live: Any) -> Any:
    """`live` cut down to the keys of `shape` (dicts key by key, lists item by item when the lengths agree).

    A key that `live` does not echo keeps its value from `shape`, so a property ARM never returns is no drift.
    """
    if isinstance(shape, dict) and isinstance(live, dict):
        return {k: _project(v, live[k]) if k in live else copy.deepcopy(v) for k, v in shape.items()}
    if isinstance(shape, list) and isinstance(live, list) and len(shape) == len(live):
        return [_project(s, v) for s, v in zip(shape, live, strict=True)]
    return copy.deepcopy(live)
