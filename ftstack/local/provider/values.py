"""Pulumi's wire values as the engine sends them to a provider: unknowns, secrets and resource references.

Over the provider protocol a property value is plain JSON-like data inside a protobuf Struct, with three kinds of
special value: an unknown (one of the engine's sentinel strings), a secret (an object carrying the secret
signature and a `value`) and a resource reference (an object carrying the resource signature). ARM sees only
plain values: `reveal` strips the wrappers and remembers where the secrets were, `conceal` puts them back.
"""

from __future__ import annotations

import copy
from typing import Any

from google.protobuf import json_format, struct_pb2

# The sentinels of sdk/go/common/resource/plugin/rpc.go; providers answer with the string one.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_UNKNOWNS = frozenset(
    {
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
# sdk/go/common/resource/sig/sig.go
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

Path = tuple[str | int, ...]


def from_struct(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """The Struct's contents as Python data (numbers come back as floats, as protobuf stores them)."""
    if struct is None:
        return {}
    return dict(json_format.MessageToDict(struct))


def to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """A Struct holding `value`."""
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def is_unknown(value: Any) -> bool:
    """Whether `value` is an engine unknown (after reveal, a secret unknown is a plain unknown)."""
    return isinstance(value, str) and value in _UNKNOWNS


def contains_unknown(value: Any) -> bool:
    """Whether `value` or anything inside it is unknown."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def _signature(value: Any) -> str | None:
    return value.get(SIG_KEY) if isinstance(value, dict) else None


def reveal(value: Any) -> tuple[Any, list[Path]]:
    """`value` without secret, output and resource wrappers, and the paths at which secrets were found."""
    secrets: list[Path] = []
    return _reveal(value, (), secrets), secrets


def _reveal(value: Any, path: Path, secrets: list[Path]) -> Any:
    sig = _signature(value)
    if sig == SECRET_SIG:
        secrets.append(path)
        return _reveal(value.get("value"), path, [])
    if sig == OUTPUT_SIG:
        if value.get("secret"):
            secrets.append(path)
        return _reveal(value["value"], path, []) if "value" in value else UNKNOWN
    if sig == RESOURCE_SIG:
        resource_id = value.get("id")
        return resource_id if resource_id not in (None, "") else value.get("urn")
    if isinstance(value, dict):
        return {k: _reveal(v, (*path, k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, (*path, i), secrets) for i, v in enumerate(value)]
    return value


def secret(value: Any) -> dict[str, Any]:
    """`value` wrapped as a secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def conceal(value: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """A copy of `value` with the values at `paths` secret; a path that no longer fits hides its top-level key."""
    result = copy.deepcopy(value)
    for path in sorted(paths, key=len, reverse=True):
        if path:
            _conceal_at(result, path)
    return result


def _conceal_at(value: dict[str, Any], path: Path) -> None:
    if not _path_exists(value, path):
        top = path[0]
        if isinstance(top, str) and top in value and _signature(value[top]) != SECRET_SIG:
            value[top] = secret(value[top])
        return
    container: Any = value
    for segment in path[:-1]:
        container = container[segment]
        if _signature(container) == SECRET_SIG:
            return
    if _signature(container[path[-1]]) != SECRET_SIG:
        container[path[-1]] = secret(container[path[-1]])


def _path_exists(value: Any, path: Path) -> bool:
    for segment in path:
        in_dict = isinstance(value, dict) and segment in value
        in_list = isinstance(value, list) and isinstance(segment, int) and segment < len(value)
        if not (in_dict or in_list):
            return False
        value = value[segment]
    return True


def whole_numbers(value: Any) -> Any:
    """`value` with floats that hold whole numbers turned into ints (protobuf sends every number as a double)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value
