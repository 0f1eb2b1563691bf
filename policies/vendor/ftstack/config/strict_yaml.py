"""Read YAML that someone else wrote, within budgets: the project and stack files are input, not code.

PyYAML's safe loader still composes unbounded nesting (RecursionError), expands aliases without limit (a
386-byte "billion laughs" hangs whatever walks the result), keeps the last of duplicate keys silently and
constructs values that Pulumi's config cannot carry (2**1100, NaN, dates, binary). This loader refuses each
of those with a `YamlInputError` that names the line and the key path, so callers can show one line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ftstack.config.problems import join_path, quote_value

# Generous for a Pulumi stack file (the shipped ones hold about 200 values in under 5 KB), small enough that
# the worst input that fits is refused well within a second (composing costs about 15 us a value with
# libyaml's parser, 65 us with the pure-Python one).
MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 64  # nested mappings and sequences; ftstack:environment needs about 8
MAX_NODES = 10_000  # values in the file as written
ALIAS_BUDGET = 10_000  # values that aliases may add on top of those written (anchors for shared settings)
MAX_KEY_CHARS = 256
# Pulumi hands config to programs as JSON and its engine carries numbers as float64: beyond 2**53 an
# integer silently changes, far beyond it (2**1100) the engine's serializers fail.
MAX_SAFE_INTEGER = 2**53
# An integer written with more characters than this is far beyond MAX_SAFE_INTEGER in any base; refused
# before int() parses it (int() refuses 4300 digits with a ValueError, and costs quadratic time before).
_MAX_INT_CHARS = 100
_INT = "tag:yaml.org,2002:int"

# The tags whose values JSON, and so Pulumi config, can carry. A timestamp is kept as the text written
# (`version: 2025-04-14` means the string, as Pulumi reads it); anything else (!!binary, !!set, !!omap,
# !!python/...) is refused.
_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp")
)
_MERGE = "tag:yaml.org,2002:merge"


class YamlInputError(ValueError):
    """YAML refused by the loader; `line` (1-based, when known) and `path` (a key path) say where."""

    def __init__(self, message: str, line: int | None = None, path: str = ""):
        self.line = line
        self.path = path
        self.reason = message
        where = " ".join(
            part for part in (f"line {line}:" if line else "", f"{path}:" if path else "") if part
        )
        super().__init__(f"{where} {message}" if where else message)


@dataclass(frozen=True)
class _Budget:
    depth: int = MAX_DEPTH
    nodes: int = MAX_NODES
    aliases: int = ALIAS_BUDGET


def _line(node: Node | None) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


class _BoundedComposer(Composer):
    """The composer with a depth and a node count checked before each recursion (it recurses per level).

    Mixed in beside a parser (Python's or libyaml's), which supplies the events (`peek_event`)."""

    budget = _Budget()

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._nodes += 1
        if self._nodes > self.budget.nodes:
            raise YamlInputError(
                f"holds more than {self.budget.nodes} values; a stack file is much smaller (move data to files)",
                _line(self.peek_event()),  # type: ignore[attr-defined]
            )
        self._depth += 1
        try:
            if self._depth > self.budget.depth:
                raise YamlInputError(
                    f"nests deeper than {self.budget.depth} levels; flatten the structure",
                    _line(self.peek_event()),  # type: ignore[attr-defined]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _StrictConstructor(SafeConstructor):
    """Safe construction, with timestamps kept as written."""

    def construct_yaml_timestamp(self, node: ScalarNode) -> str:  # type: ignore[override]
        return str(self.construct_scalar(node))


_StrictConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:timestamp", _StrictConstructor.construct_yaml_timestamp
)


class _PythonLoader(Reader, Scanner, Parser, _BoundedComposer, _StrictConstructor, Resolver):
    """The pure-Python parser under the bounded composer."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        _StrictConstructor.__init__(self)
        Resolver.__init__(self)


_StrictLoader: Callable[[str], Any] = _PythonLoader
if yaml.__with_libyaml__:  # libyaml's parser (events from C) under the same bounded composer: 4x faster
    from yaml._yaml import CParser

    class _LibyamlLoader(_BoundedComposer, CParser, _StrictConstructor, Resolver):
        """libyaml's event parser; composing (and so every budget) stays in _BoundedComposer."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            _StrictConstructor.__init__(self)
            Resolver.__init__(self)

    _StrictLoader = _LibyamlLoader


def decode_yaml_bytes(data: bytes) -> str:
    """`data` as text: UTF-8 (a UTF-8 byte-order mark is fine); YamlInputError for anything else."""
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    if data.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise YamlInputError("is UTF-32 text; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlInputError("is UTF-16 text; save it as UTF-8")
    if len(data) >= 4 and data[:4].count(0) == 2 and (data[0] == 0) != (data[1] == 0):
        # No byte-order mark, but every other byte of the first characters is NUL: UTF-16 text.
        raise YamlInputError("looks like UTF-16 text (NUL bytes between the characters); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlInputError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); save it as UTF-8", line
        ) from None


def load_untrusted_yaml(data: bytes, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The one YAML document in `data` (None when empty), within the budgets; YamlInputError otherwise."""
    if len(data) > max_bytes:
        raise YamlInputError(
            f"is {len(data)} bytes; at most {max_bytes} are read (keep large values in files the stack names)"
        )
    text = decode_yaml_bytes(data)
    refused = Reader.NON_PRINTABLE.search(text)
    if refused:
        raise YamlInputError(
            f"is not valid YAML: character {refused.group()!r} is not allowed in YAML text; remove it",
            text.count("\n", 0, refused.start()) + 1,
        )
    loader: Any = None
    try:
        loader = _StrictLoader(text)
        root = loader.get_single_node()
        if root is None:
            return None
        _check_nodes(root, loader)
        value = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise YamlInputError(f"is not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlInputError(f"is not valid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    _check_values(value, "")
    return value


def _check_nodes(root: Node, loader: _StrictConstructor) -> None:
    """Refuse duplicate keys, long keys, foreign tags, alias cycles and alias expansion beyond the budget."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    written = 0

    def expanded(node: Node, path: str) -> int:
        nonlocal written
        ident = id(node)
        if ident in sizes:
            return sizes[ident]
        if ident in open_nodes:
            raise YamlInputError(
                "an alias refers to a value that contains it; it would never end", _line(node), path
            )
        open_nodes.add(ident)
        written += 1
        if node.tag not in _ALLOWED_TAGS and node.tag != _MERGE:
            raise YamlInputError(
                f"the tag {quote_value(node.tag.replace('tag:yaml.org,2002:', '!!'))} is not supported in a "
                "stack file; write a plain value",
                _line(node),
                path,
            )
        size = 1
        if node.tag == _INT and isinstance(node, ScalarNode) and len(str(node.value)) > _MAX_INT_CHARS:
            raise YamlInputError(
                f"an integer of {len(str(node.value))} characters is too large; Pulumi config carries "
                f"integers up to {MAX_SAFE_INTEGER} (2**53) exactly",
                _line(node),
                path,
            )
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                size += expanded(item, join_path(path, index))
        elif isinstance(node, MappingNode):
            seen: dict[object, int | None] = {}
            for key_node, value_node in node.value:
                key_path = path
                if isinstance(key_node, ScalarNode):
                    key_text = str(key_node.value)
                    if len(key_text) > MAX_KEY_CHARS:
                        raise YamlInputError(
                            f"the key {quote_value(key_text)} is {len(key_text)} characters; keys are at most "
                            f"{MAX_KEY_CHARS}",
                            _line(key_node),
                            path,
                        )
                    if key_node.tag != _MERGE:
                        # The key as constructed: `true` and `True`, `1` and `0x1` are the same key.
                        identity = loader.construct_object(key_node)
                        if identity in seen:
                            first = seen[identity]
                            raise YamlInputError(
                                f"the key {quote_value(key_text)} appears twice (first at line {first}); keep one",
                                _line(key_node),
                                path,
                            )
                        seen[identity] = _line(key_node)
                        key_path = join_path(path, key_text)
                size += expanded(key_node, path) + expanded(value_node, key_path)
        sizes[ident] = size
        open_nodes.discard(ident)
        if size - written > ALIAS_BUDGET:
            raise YamlInputError(
                f"its aliases expand to more than {ALIAS_BUDGET} extra values (an alias bomb?); "
                "write the values out or use fewer nested aliases",
                _line(node),
                path,
            )
        return size

    expanded(root, "")


def _check_values(value: Any, path: str) -> None:
    """Refuse numbers Pulumi config cannot carry: NaN, infinities and integers beyond ±2**53."""
    stack: list[tuple[Any, str]] = [(value, path)]
    seen: set[int] = set()
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict | list):
            if id(item) in seen:  # an alias: checked where it was written
                continue
            seen.add(id(item))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                part: str | int = key if isinstance(key, int) and isinstance(item, list) else str(key)
                stack.append((child, join_path(where, part)))
        elif isinstance(item, float) and not math.isfinite(item):
            name = "NaN" if math.isnan(item) else "infinity"
            raise YamlInputError(f"{name} is not a number a stack can use; give a finite number", path=where)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_SAFE_INTEGER:
            raise YamlInputError(
                f"{quote_value(item)} is too large; Pulumi config carries integers up to {MAX_SAFE_INTEGER} "
                "(2**53) exactly",
                path=where,
            )
