"""Lenient, located reading of the YAML files tmt writes into a run directory.

tmt saves its own objects with internal keys (``__class__``, ``-OPTIONLESS-FIELDS``)
and many nulls, which its published JSON schema rejects. We read with PyYAML's safe
loader, drop those internal keys, keep every mapping's and list's line numbers, and
let the caller validate only the fields it uses (:class:`Checker`), each error naming
``file:line: key.path``.

tmt writes YAML anchors and aliases (``&id001`` ... ``*id001``) when its results share a
value: the plan's context (``tmt -c distro=...``) is repeated in every result that way. So
aliases are read, but counted: a document may expand through them by at most as many
nodes as it writes out (or :data:`MIN_ALIASED_NODES`, for a small one), and an alias that
refers to a node holding it is refused: a few kilobytes cannot stand for a hundred
megabytes of results. An integer beyond the signed 64-bit range (tmt writes none) is
refused at its line too, before it is carried into a result's id or data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import yaml

from gatekeeper.errors import InputError
from gatekeeper.limits import MAX_DATA_INTEGER as MAX_INTEGER

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MIN_ALIASED_NODES = 10_000
"""The nodes aliases may add to any document: more when it writes out more (as many as it
writes). Real tmt files add a few per result (the context's values)."""


class LocatedDict(dict[str, Any]):
    """A mapping from the file, with its line and the line of each key."""

    line: int = 0
    lines: dict[str, int]


class LocatedList(list[Any]):
    """A list from the file, with its line and the line of each item."""

    line: int = 0
    lines: list[int]


def is_internal(key: object) -> bool:
    """tmt's bookkeeping keys: ``__class__``, ``-OPTIONLESS-FIELDS`` and the like."""
    return isinstance(key, str) and key.startswith(("__", "-"))


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader, building located containers and dropping tmt's internal keys."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[LocatedDict]:
    data = LocatedDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if is_internal(key):
            continue
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be strings, got {key!r}", key_node.start_mark
            )
        data.lines.setdefault(key, key_node.start_mark.line + 1)
        data[key] = loader.construct_object(value_node)


def _sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Iterator[LocatedList]:
    data = LocatedList()
    data.line = node.start_mark.line + 1
    data.lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child) for child in node.value)


def _integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer within the signed 64-bit range (tmt writes serial numbers, durations and
    no larger one); a larger one is refused at its line, not carried into a result."""
    try:
        value: int = yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts
        value = MAX_INTEGER + 1
    if abs(value) > MAX_INTEGER:
        shown = node.value if len(node.value) <= 30 else f"{node.value[:30]}..."
        raise yaml.constructor.ConstructorError(
            None, None, f"{shown} is an integer beyond the signed 64-bit range", node.start_mark
        )
    return value


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _integer)


def load(data: bytes | str, file: str) -> Any:
    """Parse one YAML document; a syntax error, or aliases that expand it past the bound,
    is an :class:`InputError` with its line."""
    try:
        if "*" in data if isinstance(data, str) else b"*" in data:  # an alias starts with *
            _check_expansion(data, file)
        return yaml.load(data, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"malformed YAML: {what}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=file) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"not readable YAML text: {exc}", file=file) from None


def _check_expansion(data: bytes | str, file: str) -> None:
    """Refuse a document that its aliases expand past the bound, or make endless.

    Counted on the parser's events, before anything is built: an alias is one event
    however much it stands for, so this costs what the text's length does."""
    written, expanded, line = _count(data)
    if line is not None:
        raise InputError(
            "a YAML alias refers to a node holding it: the document would never end",
            file=file,
            line=line,
        )
    bound = written + max(written, MIN_ALIASED_NODES)
    if expanded > bound:
        raise InputError(
            f"YAML aliases expand the document past {bound:,} nodes (it writes {written:,}; "
            f"aliases may add as many again, or {MIN_ALIASED_NODES:,}): refused",
            file=file,
            line=_count(data, stop=bound)[2],
        )


def _count(data: bytes | str, stop: int | None = None) -> tuple[int, int, int | None]:
    """``(nodes written, nodes with every alias expanded, line)``. The line is that of an
    alias to a node still open (one holding it), or, with ``stop``, of the event at which
    the expanded count passes ``stop``; counting ends there."""
    sizes: dict[str, int] = {}  # anchor -> the expanded size of its node
    opened: list[tuple[str | None, int]] = []  # open collections: anchor, count before
    written = count = 0
    for event in yaml.parse(data, Loader=_Base):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:  # its node is not finished: it holds this alias
                return written, count, _line(event)
            count += sizes[event.anchor]
        elif isinstance(event, yaml.NodeEvent):  # a scalar, or a list or mapping begins
            written += 1
            count += 1
            if isinstance(event, yaml.CollectionStartEvent):
                opened.append((event.anchor, count - 1))
            elif event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = opened.pop()
            if anchor:
                sizes[anchor] = count - before
        if stop is not None and count > stop:
            return written, count, _line(event)
    return written, count, None


def _line(event: yaml.Event) -> int | None:
    return None if event.start_mark is None else int(event.start_mark.line) + 1


class Checker:
    """Typed access to the fields of one located mapping, raising located errors."""

    def __init__(self, file: str, item: Mapping[str, Any], path: str) -> None:
        self.file = file
        self.item = item
        self.path = path

    def line(self, key: str | None = None) -> int | None:
        lines = getattr(self.item, "lines", {})
        if key is not None and key in lines:
            return int(lines[key])
        return getattr(self.item, "line", None) or None

    def error(self, message: str, key: str | None = None) -> InputError:
        where = f"{self.path}.{key}" if key else self.path
        return InputError(message, file=self.file, line=self.line(key), key=where)

    def missing(self, key: str) -> InputError:
        return self.error(f"'{key}' is missing or null: tmt always writes it", key)

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.item.get(key)
        if value is None:
            if required:
                raise self.missing(key)
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(f"expected a non-empty string, got {value!r}", key)
        return value

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.item.get(key)
        if value is None:
            if required:
                raise self.missing(key)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"expected a whole number, got {value!r}", key)
        return value

    def choice(self, key: str, choices: Mapping[str, Any]) -> str:
        value = self.string(key, required=True)
        assert value is not None
        if value not in choices:
            known = ", ".join(choices)
            raise self.error(f"unknown tmt result {value!r}: expected one of {known}", key)
        return value

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.item.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(f"expected a mapping, got {value!r}", key)
        return value

    def items(self, key: str) -> list[Any]:
        """A list (null: empty); a single string is taken as a one-item list."""
        value = self.item.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {value!r}", key)
        return value

    def strings(self, key: str) -> list[str]:
        values = self.items(key)
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise self.error(f"expected a list of strings, got {bad[0]!r} in it", key)
        return values

    def time(self, key: str) -> datetime | None:
        from gatekeeper.timeutil import parse_time

        value = self.item.get(key)
        if value is None:
            return None
        try:
            return parse_time(value)
        except ValueError as exc:
            raise self.error(str(exc), key) from None

    def children(self, key: str) -> list[Checker]:
        """The mappings of a list (null: none), each checked as one item."""
        values = self.items(key)
        lines = getattr(values, "lines", [])
        return [
            checker(self.file, value, f"{self.path}.{key}[{index}]", _at(lines, index))
            for index, value in enumerate(values)
        ]

    def child(self, key: str) -> Checker:
        """The mapping under ``key`` (null: an empty one)."""
        return Checker(self.file, self.mapping(key), f"{self.path}.{key}")


def checker(file: str, value: Any, path: str, line: int | None) -> Checker:
    """A :class:`Checker` of ``value``, which must be a mapping."""
    if not isinstance(value, Mapping):
        raise InputError(f"expected a mapping, got {value!r}", file=file, line=line, key=path)
    return Checker(file, value, path)


def _at(lines: list[int], index: int) -> int | None:
    return lines[index] if index < len(lines) else None
