"""Safe, located YAML reading.

The document is composed (never constructed) with PyYAML's ``SafeLoader``, so
every value keeps the line it came from, duplicate keys are seen instead of
silently overwritten, and nothing but plain data can come out. A :class:`Reader`
checks the nodes against what the caller expects and collects one
:class:`Problem` per mistake (line, key path, message) instead of raising.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple

import yaml

from gatekeeper.timeutil import parse_duration

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


class YamlProblem(Exception):
    """The text is not (single-document) YAML."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Problem(NamedTuple):
    line: int | None
    column: int
    key: str
    message: str


class Item(NamedTuple):
    """One string of a list, with where it was."""

    value: str
    line: int
    column: int
    path: str


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (None when empty). Raises YamlProblem with the line."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise YamlProblem(f"YAML syntax error: {what}{context}", line_of_mark(mark)) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        reason = f"not YAML text: {exc.reason} (character #x{exc.character:04x})"
        raise YamlProblem(reason, line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        raise YamlProblem(f"YAML error: {exc}", None) from None
    except RecursionError:
        raise YamlProblem("YAML nesting is too deep", None) from None


def line_of_mark(mark: yaml.Mark | None) -> int | None:
    return None if mark is None else mark.line + 1


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def describe(node: yaml.Node) -> str:
    """What a node is, for messages: ``the boolean 'yes'``, ``a list``..."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = str(node.value)
    kinds = {STR: "the string", BOOL: "the boolean", TIMESTAMP: "the date"}
    if node.tag == NULL:
        return "no value"
    if node.tag in (INT, FLOAT):
        return f"the number {value}"
    if node.tag in kinds:
        return f"{kinds[node.tag]} {value!r}"
    return f"a value tagged {node.tag}"


def child(path: str, key: str | int) -> str:
    """Key path of a mapping key or list index below ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Checks nodes against expected shapes, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, where: yaml.Node | Item | int | None, key: str, message: str) -> None:
        """Record a problem at a node, a list item or a line."""
        if isinstance(where, yaml.Node):
            self.problems.append(Problem(line_of(where), where.start_mark.column, key, message))
        elif isinstance(where, Item):
            self.problems.append(Problem(where.line, where.column, key, message))
        else:
            self.problems.append(Problem(where, 0, key, message))

    def wrong(self, node: yaml.Node, path: str, expected: str, hint: str = "") -> None:
        """Report that ``node`` is not what was expected (with a hint for scalars)."""
        got = describe(node)
        if not hint and node.tag == NULL:
            hint = "give it a value or remove the key"
        elif not hint and node.tag == BOOL and str(node.value).lower() not in ("true", "false"):
            hint = "YAML reads yes/no/on/off as booleans; quote it if you mean a string"
        self.report(node, path, f"expected {expected}, got {got}" + (f"; {hint}" if hint else ""))

    def mapping(
        self, node: yaml.Node, path: str, allowed: Sequence[str], what: str = "a mapping"
    ) -> dict[str, yaml.Node] | None:
        """Keys -> value nodes (first occurrence), reporting bad, unknown and duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            self.wrong(node, path, what)
            return None
        if node.tag != MAP:
            self.tagged(node, path, what)
            return None
        out: dict[str, yaml.Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                self.report(
                    key_node, path, "merge keys ('<<') are not supported; write the keys out"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != STR:
                self.report(key_node, path, f"keys must be strings, got {describe(key_node)}")
                continue
            key = str(key_node.value)
            if key in lines:
                self.report(
                    key_node,
                    child(path, key),
                    f"duplicate key '{key}' (first at line "
                    f"{lines[key]}); YAML would keep only the last one: remove one",
                )
                continue
            lines[key] = line_of(key_node)
            if key not in allowed:
                self.report(key_node, child(path, key), _unknown(key, allowed))
                continue
            out[key] = value_node
        return out

    def string(
        self, node: yaml.Node, path: str, expected: str = "a string", empty: bool = False
    ) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != STR:
            scalar = isinstance(node, yaml.ScalarNode) and node.tag != NULL
            self.wrong(node, path, expected, f'quote it: "{node.value}"' if scalar else "")
            return None
        value = str(node.value)
        if not empty and not value.strip():
            self.report(node, path, f"expected {expected}, got an empty string")
            return None
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            return bool(yaml.constructor.SafeConstructor.bool_values[str(node.value).lower()])
        quoted = node.tag == STR and str(node.value).lower() in ("true", "false", "yes", "no")
        self.wrong(node, path, "true or false", "remove the quotes" if quoted else "")
        return None

    def tagged(self, node: yaml.Node, path: str, what: str) -> None:
        """Report a list or mapping carrying a YAML tag: a policy is plain data."""
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        self.report(node, path, f"expected {what}, got {kind} tagged {node.tag}; remove the tag")

    def sequence(self, node: yaml.Node, path: str, what: str = "a list") -> list[yaml.Node] | None:
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ:
                self.tagged(node, path, what)
                return None
            return list(node.value)
        hint = f"write [{node.value}]" if node.tag == STR else ""
        self.wrong(node, path, what, hint)
        return None

    def strings(
        self, node: yaml.Node, path: str, what: str = "strings", empty: bool = False
    ) -> list[Item] | None:
        """A list of strings (non-empty unless ``empty``); bad items are reported, left out."""
        nodes = self.sequence(node, path, f"a list of {what}")
        if nodes is None:
            return None
        items = []
        for index, item in enumerate(nodes):
            item_path = child(path, index)
            value = self.string(item, item_path, empty=empty)
            if value is not None:
                items.append(Item(value, line_of(item), item.start_mark.column, item_path))
        return items

    def unique_strings(
        self, node: yaml.Node, path: str, what: str, omit_hint: str
    ) -> tuple[str, ...] | None:
        """A non-empty list of distinct non-empty strings; None if anything is wrong."""
        items = self.strings(node, path, what)
        if items is None:
            return None
        if not node.value:
            self.report(node, path, f"the list is empty: list at least one, {omit_hint}")
            return None
        seen: dict[str, str] = {}
        for item in items:
            if item.value in seen:
                self.report(
                    item,
                    item.path,
                    f"duplicate '{item.value}' (already at {seen[item.value]}); remove it",
                )
            seen.setdefault(item.value, item.path)
        return tuple(seen) if len(seen) == len(node.value) else None

    def choice(self, node: yaml.Node, path: str, choices: Sequence[str]) -> str | None:
        value = self.string(node, path, " or ".join(choices))
        if value is not None and value not in choices:
            names = " or ".join(f"'{c}'" for c in choices)
            self.report(node, path, f"expected {names}, got '{value}'")
            return None
        return value

    def duration(self, node: yaml.Node, path: str) -> timedelta | None:
        """A positive duration like ``90m``, ``12h`` or ``2d``."""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (STR, INT, FLOAT):
            self.wrong(node, path, "a duration like 90m, 12h or 2d")
            return None
        try:
            value = parse_duration(str(node.value))
        except ValueError as exc:
            self.report(node, path, str(exc))
            return None
        except OverflowError:
            self.report(node, path, f"'{node.value}' is too long a duration")
            return None
        if not value:
            self.report(node, path, f"'{node.value}' is zero: give a positive duration, like 12h")
            return None
        return value

    def count(self, node: yaml.Node, path: str, most: int) -> int | None:
        """A whole number from 0 to ``most``."""
        text = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT or not text.isdigit():
            self.wrong(node, path, f"a whole number from 0 to {most}")
            return None
        if len(text) > 6 or int(text) > most:
            self.report(node, path, f"'{text[:12]}' is more than {most}")
            return None
        return int(text)


def _unknown(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    guess = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{key}'{guess}; expected one of: {', '.join(allowed)}"
