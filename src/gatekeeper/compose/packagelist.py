"""Package lists for a lockfile: a file of names, or rpm-lockfile-prototype's ``rpms.in.yaml``.

A plain list has one name per line; blank lines and ``#`` comments are ignored. A YAML
mapping is read as ``rpms.in.yaml``: its ``packages`` list holds names, or mappings
``{name: ..., arches: {only: [...], not: [...]}}`` narrowing a package to some arches; the
file's other keys (``contentOrigin``, ``arches``, ...) are rpm-lockfile-prototype's own and
ignored here (the compose is the content origin). Every error names ``file:line``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from gatekeeper.compose.resolve import Request
from gatekeeper.errors import InputError
from gatekeeper.inputs import read_text
from gatekeeper.policy.yamlsafe import STR, YamlProblem, compose, describe, line_of

_MAPPING_LINE = re.compile(r"^[A-Za-z_][\w-]*\s*:", re.MULTILINE)  # rpms.in.yaml has keys
PackageList = list[tuple[Request, frozenset[str] | None]]  # a request, the arches it is for


def read_package_list(path: Path, *, known_arches: frozenset[str]) -> PackageList:
    """The requests of the package list at ``path``."""
    file = str(path)
    text = read_text(path)
    try:
        node = compose(text) if _MAPPING_LINE.search(text) else None
    except YamlProblem as exc:
        raise InputError(exc.message, file=file, line=exc.line) from None
    if isinstance(node, yaml.MappingNode):
        return _rpms_in(node, file, known_arches)
    found: PackageList = []
    for number, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if any(c.isspace() for c in name):
            raise InputError(
                f"{name!r} is not a package name: one name per line", file=file, line=number
            )
        found.append((Request(name, f"{file}:{number}"), None))
    if not found:
        raise InputError("names no package", file=file)
    return found


def _error(node: yaml.Node, file: str, key: str, message: str) -> InputError:
    return InputError(message, file=file, line=line_of(node), key=key)


def _names(node: yaml.Node, file: str, key: str) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise _error(node, file, key, f"expected a list of arches, found {describe(node)}")
    names = []
    for index, item in enumerate(node.value):
        if not (isinstance(item, yaml.ScalarNode) and item.tag == STR):
            raise _error(item, file, f"{key}[{index}]", f"expected an arch, found {describe(item)}")
        names.append(str(item.value))
    return names


def _arches(node: yaml.Node, file: str, key: str, known: frozenset[str]) -> frozenset[str]:
    if not isinstance(node, yaml.MappingNode):
        raise _error(node, file, key, f"expected a mapping with only/not, found {describe(node)}")
    chosen = set(known)
    for k, v in node.value:
        which = str(k.value)
        if which not in ("only", "not"):
            raise _error(k, file, f"{key}.{which}", "unknown key; expected only or not")
        names = set(_names(v, file, f"{key}.{which}"))
        chosen = chosen & names if which == "only" else chosen - names
    return frozenset(chosen)


def _rpms_in(root: yaml.MappingNode, file: str, known: frozenset[str]) -> PackageList:
    packages = next((v for k, v in root.value if k.value == "packages"), None)
    if packages is None:
        raise _error(root, file, "packages", "is missing: list the packages to lock")
    if not isinstance(packages, yaml.SequenceNode) or not packages.value:
        raise _error(
            packages, file, "packages", f"expected a list of packages, found {describe(packages)}"
        )
    found: PackageList = []
    for index, item in enumerate(packages.value):
        key = f"packages[{index}]"
        where = f"{file}:{line_of(item)}"
        if isinstance(item, yaml.ScalarNode) and item.tag == STR and str(item.value).strip():
            found.append((Request(str(item.value).strip(), where), None))
            continue
        if not isinstance(item, yaml.MappingNode):
            raise _error(item, file, key, f"expected a package name, found {describe(item)}")
        fields = {str(k.value): v for k, v in item.value}
        unknown = sorted(set(fields) - {"name", "arches"})
        if unknown:
            raise _error(item, file, f"{key}.{unknown[0]}", "unknown key; expected name or arches")
        name = fields.get("name")
        if not (isinstance(name, yaml.ScalarNode) and name.tag == STR and str(name.value).strip()):
            raise _error(name or item, file, f"{key}.name", "expected a package name")
        only = (
            _arches(fields["arches"], file, f"{key}.arches", known) if "arches" in fields else None
        )
        found.append((Request(str(name.value).strip(), where), only))
    return found
