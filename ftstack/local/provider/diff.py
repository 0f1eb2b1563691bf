"""What changed between a resource's old and new inputs, and whether the change replaces it.

azure-native diffs inputs: a path parameter (the resource's name or a parent's) or a property the ARM spec marks
immutable forces a replacement, anything else is an in-place PUT. A value still unknown in a preview counts as
a change; on a replace-property it counts as a replacement, which is what lets the engine find the dependents of
a resource being replaced.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from ftstack.local.provider.resource_types import ResourceType
from ftstack.local.provider.shapes import EACH, split_path
from ftstack.local.provider.values import is_unknown

_SIMPLE_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class Change(enum.Enum):
    """The kind of one property's change, named as the provider protocol names them."""

    ADD = "ADD"
    ADD_REPLACE = "ADD_REPLACE"
    DELETE = "DELETE"
    DELETE_REPLACE = "DELETE_REPLACE"
    UPDATE = "UPDATE"
    UPDATE_REPLACE = "UPDATE_REPLACE"

    def replacing(self) -> Change:
        """The same change, forcing a replacement."""
        return Change(self.value.removesuffix("_REPLACE") + "_REPLACE")


@dataclass
class InputDiff:
    """The outcome of comparing old and new inputs."""

    detailed: dict[str, Change] = field(default_factory=dict)
    changed_keys: list[str] = field(default_factory=list)
    replace_keys: list[str] = field(default_factory=list)
    delete_before_replace: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything changed."""
        return bool(self.detailed)


def diff_inputs(
    rtype: ResourceType,
    olds: dict[str, Any],
    news: dict[str, Any],
    ignore_changes: list[str] | None = None,
    urn_name: str = "",
) -> InputDiff:
    """Compare plain (revealed) old and new inputs of one resource of `rtype`."""
    olds = _normalised(olds)
    news = _normalised(_with_ignored(olds, news, ignore_changes or []))
    detailed: dict[tuple[str | int, ...], Change] = {}
    _compare(olds, news, (), detailed)
    replace_paths = [split_path(p) for p in (*rtype.path_params, *rtype.replace_on_changes)]
    result = InputDiff()
    replace_keys: set[str] = set()
    for path, change in detailed.items():
        replacing = any(_under(path, r) for r in replace_paths) or any(
            _above(path, r) and (_at(olds, r) != _at(news, r) or is_unknown(_at(news, r)))
            for r in replace_paths
        )
        result.detailed[format_path(path)] = change.replacing() if replacing else change
        if replacing:
            replace_keys.add(str(path[0]))
    result.changed_keys = sorted({str(path[0]) for path in detailed})
    result.replace_keys = sorted(replace_keys)
    if replace_keys:
        result.delete_before_replace = not _autonamed(rtype, olds, urn_name)
    return result


def _with_ignored(olds: dict[str, Any], news: dict[str, Any], ignore_changes: list[str]) -> dict[str, Any]:
    """`news` with each ignored top-level or dotted path put back to its old value."""
    if not ignore_changes:
        return news
    result = dict(news)
    for ignored in ignore_changes:
        segments = split_path(ignored)
        if len(segments) == 1:
            if segments[0] in olds:
                result[segments[0]] = olds[segments[0]]
            else:
                result.pop(segments[0], None)
    return result


def _normalised(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as ARM compares them: a location in any spelling (`East US`, `eastus`) is one location."""
    location = inputs.get("location")
    if isinstance(location, str) and not is_unknown(location):
        return {**inputs, "location": location.replace(" ", "").lower()}
    return inputs


def _compare(
    old: Any, new: Any, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], Change]
) -> None:
    if is_unknown(new):
        out[path] = Change.UPDATE if old is not None else Change.ADD
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in new:
                out[(*path, key)] = Change.DELETE
            elif key not in old:
                out[(*path, key)] = Change.ADD
            else:
                _compare(old[key], new[key], (*path, key), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and path:
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=True)):
            _compare(old_item, new_item, (*path, index), out)
        return
    if old != new:
        out[path] = Change.UPDATE


def _under(path: tuple[str | int, ...], replace: list[str]) -> bool:
    """Whether `path` is `replace` or lies inside it (`[]` matches any list index)."""
    if len(path) < len(replace):
        return False
    for segment, wanted in zip(path, replace, strict=False):
        if wanted == EACH:
            if not isinstance(segment, int):
                return False
        elif segment != wanted:
            return False
    return True


def _above(path: tuple[str | int, ...], replace: list[str]) -> bool:
    """Whether `path` is a strict parent of `replace`."""
    return len(path) < len(replace) and _under(path, replace[: len(path)])


def _at(value: Any, segments: list[str]) -> Any:
    for segment in segments:
        if not isinstance(value, dict) or segment == EACH:
            return None
        value = value.get(segment)
    return value


def _autonamed(rtype: ResourceType, olds: dict[str, Any], urn_name: str) -> bool:
    """Whether the old name is one the provider made up (such a resource is replaced create-first)."""
    name = olds.get(rtype.name_param)
    if not isinstance(name, str):
        return False
    if rtype.autoname == "uuid":
        return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", name))
    return bool(urn_name) and re.fullmatch(re.escape(urn_name) + r"-[0-9a-f]{7}", name) is not None


def format_path(path: tuple[str | int, ...]) -> str:
    """A property path as the engine writes one: `properties.networkAcls.ipRules[0]`, `tags["cost.center"]`."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _SIMPLE_KEY.match(segment):
            text += f".{segment}" if text else segment
        else:
            text += '["' + segment.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return text
