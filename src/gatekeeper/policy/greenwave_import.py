"""Greenwave policies -> gatekeeper policy files (``gatekeeper policy import-greenwave``).

Greenwave's YAML (``--- !Policy`` documents, rules tagged ``!PassingTestCaseRule``) is
composed, never constructed, and read by gatekeeper's own :class:`yamlsafe.Reader` once
the tags are checked, so every mistake keeps its ``file:line``. A Greenwave policy for
``subject_type: compose`` becomes a team policy: its ``id`` the team, its testcases what
the team owns, its rules the gates, its ``product_versions`` the compose products. Policies
with the same decision contexts and products merge, as do those with the same contexts and
rules (products joined): the meaning stays Greenwave's. What gatekeeper cannot express
(``!RemoteRule``, other subject types, a testcase two policies require for different
composes...) is left out and reported as a :class:`Note` at its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import yaml

from gatekeeper.errors import GatekeeperError, PolicyError, raise_all
from gatekeeper.policy import yamlsafe
from gatekeeper.policy.globs import glob_problem
from gatekeeper.policy.reader import parse_policy
from gatekeeper.policy.schema import TEAM_PATTERN

POLICY_TAG = "!Policy"
PASSING_RULE = "!PassingTestCaseRule"
POLICY_KEYS = (
    "id", "product_versions", "decision_context", "decision_contexts", "subject_type", "rules",
    "excluded_packages", "packages", "blacklist", "relevance_key", "relevance_value",
)  # fmt: skip
RULE_KEYS = ("test_case_name", "scenario", "valid_since", "valid_until")

_UNEXPRESSED_RULES = {
    "!RemoteRule": "gatekeeper reads no gating.yaml from a package's repository; "
    "the team writes its own policy file instead",
    "!FedoraAtomicCi": "an obsolete rule (Greenwave refuses it too); nothing to gate",
    "!PackageSpecificBuild": "an obsolete rule (Greenwave refuses it too); nothing to gate",
}
_NVR = "only applies to builds named by NVR, never to a compose (in Greenwave too)"
_RELEVANCE = "(which results are relevant) has no equivalent in gatekeeper"
_LEFT_OUT_KEYS = {"excluded_packages": _NVR, "packages": _NVR, "blacklist": _NVR,
                  "relevance_key": _RELEVANCE, "relevance_value": _RELEVANCE}  # fmt: skip
# productmd short names, by the lower-case prefix Greenwave's product versions use
_PRODUCTS = {"centos-stream": "CentOS-Stream", "centos": "CentOS", "fedora": "Fedora",
             "rhel": "RHEL"}  # fmt: skip
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]*")


@dataclass(frozen=True)
class Note:
    """Something of a Greenwave policy that gatekeeper cannot express, and was left out."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        parts = (f"{self.file}:{self.line}", self.key, self.message)
        return _printable(": ".join(p for p in parts if p))


@dataclass(frozen=True)
class Imported:
    """The policy files to write (file name -> YAML text) and what was left out."""

    files: dict[str, str]
    notes: list[Note]


@dataclass
class _Gate:
    testcase: str
    scenario: str | None
    file: str
    line: int


@dataclass
class _Policy:
    """One gatekeeper policy being built from one or more Greenwave policies."""

    team: str
    contexts: tuple[str, ...]
    products: list[str]
    gates: list[_Gate]
    sources: list[str] = field(default_factory=list)

    def rules(self) -> set[tuple[str, str | None]]:
        return {(g.testcase, g.scenario) for g in self.gates}


def documents(text: str) -> Iterator[yaml.Node]:
    """The node tree of each YAML document of ``text``; raises YamlProblem with the line."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # checks every character first
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        raise yamlsafe.YamlProblem(
            f"YAML syntax error: {what}", yamlsafe.line_of_mark(mark)
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise yamlsafe.YamlProblem(f"not YAML text: {exc.reason}", line) from None
    except RecursionError:
        raise yamlsafe.YamlProblem("YAML nesting is too deep", None) from None
    finally:
        if loader is not None:
            loader.dispose()


def product_globs(version: str, mapping: Mapping[str, str]) -> tuple[list[str], str | None]:
    """The compose products a Greenwave product version names, and a warning if guessed.

    ``fedora-rawhide`` -> ``Fedora-Rawhide``, ``c9s`` -> ``CentOS-Stream-9``, ``rhel-8`` ->
    ``RHEL-8`` and ``RHEL-8.*`` (Greenwave's compose subject type maps ``RHEL-8.2-...``
    composes to ``RHEL-8``); ``mapping`` (``--product``) comes first.
    """
    if version in mapping:
        return [mapping[version]], None
    if match := re.fullmatch(r"c([0-9]+)s", version, re.IGNORECASE | re.ASCII):
        return [f"CentOS-Stream-{match.group(1)}"], None
    for prefix, short in _PRODUCTS.items():
        if version.lower().startswith(prefix + "-") and len(version) > len(prefix) + 1:
            rest = version[len(prefix) + 1 :]
            rest = "Rawhide" if rest.lower() == "rawhide" else rest
            found = [f"{short}-{rest}"]
            if short == "RHEL" and rest.isdigit():
                found.append(f"{short}-{rest}.*")
            return found, None
    hint = f"check it names compose products (like CentOS-Stream-9) or map it: --product {version}="
    return [version], f"product version '{version}' kept as written; {hint}PRODUCT"


def import_greenwave(
    sources: Iterable[tuple[str, str]], products: Mapping[str, str] | None = None
) -> Imported:
    """Turn Greenwave policy files (name, text) into gatekeeper policy files.

    Raises every error at once (a file that is not Greenwave policy YAML); what is valid
    Greenwave but has no gatekeeper equivalent is left out and listed in the notes.
    """
    importer = _Importer(products or {})
    for name, text in sources:
        importer.read(name, text)
    raise_all(list(importer.errors))
    files: dict[str, str] = {}
    for policy in importer.policies:
        text = render(policy)
        _, errors = parse_policy(text, f"{policy.team}.yaml")
        raise_all(list(errors))  # a bug: what is written must load
        files[f"{policy.team}.yaml"] = text
    return Imported(files, sorted(importer.notes, key=lambda n: (n.file, n.line)))


class _Importer:
    def __init__(self, products: Mapping[str, str]) -> None:
        self.products = products
        self.policies: list[_Policy] = []
        self.errors: list[GatekeeperError] = []
        self.notes: list[Note] = []
        self.owner: dict[str, _Policy] = {}  # testcase -> the policy gating it

    def read(self, name: str, text: str) -> None:
        try:
            for node in documents(text):
                reader = yamlsafe.Reader()
                self.document(reader, node, name)
                problems = sorted(reader.problems, key=lambda p: (p.line or 0, p.column))
                self.errors += [PolicyError(_printable(p.message), file=name, line=p.line,
                                            key=_printable(p.key) or None)
                                for p in problems]  # fmt: skip
        except yamlsafe.YamlProblem as exc:
            self.errors.append(PolicyError(exc.message, file=name, line=exc.line))

    def document(self, r: yamlsafe.Reader, node: yaml.Node, name: str) -> None:
        if node.tag != POLICY_TAG:
            r.report(node, "", f"expected a Greenwave policy (--- {POLICY_TAG}), got {_kind(node)}")
            return
        keys = r.mapping(_plain(node), "", POLICY_KEYS, "a Greenwave policy (a mapping)")
        if keys is None:
            return
        line, ident = yamlsafe.line_of(node), r.string(keys["id"], "id") if "id" in keys else None
        label = f"policy '{ident}'" if ident else "a policy without id"
        before, noted = len(r.problems), len(self.notes)
        contexts = self.contexts(r, keys, node)
        for key in ("product_versions", "rules"):
            if key not in keys:
                r.report(node, key, f"missing required key '{key}'")
        given = keys.get("product_versions")
        versions = None if given is None else r.strings(given, "product_versions")
        subject = r.string(keys["subject_type"], "subject_type") if "subject_type" in keys else None
        rules = self.rules(r, keys["rules"], name) if "rules" in keys else []
        notes = [
            Note(name, yamlsafe.line_of(keys[key]), key, f"left out: {key} {why}")
            for key, why in _LEFT_OUT_KEYS.items()
            if key in keys and keys[key].value
        ]
        if len(r.problems) > before or contexts is None or versions is None or rules is None:
            return
        if subject != "compose":
            del self.notes[noted:]  # the policy is left out as a whole
            what = "gatekeeper gates composes only"
            if subject is None:
                what = f"no subject_type, so koji_build (as in a gating.yaml); {what}"
            at = keys.get("subject_type", node)
            self.note(name, at, "subject_type", f"{label} skipped: {what}")
            return
        found = self.versions(name, versions)
        if not found:
            self.note(name, node, "product_versions", f"{label} skipped: it names no product")
            return
        if rules == [] and keys["rules"].value:
            message = f"{label} skipped: none of its rules can be expressed (it would pass all)"
            self.note(name, keys["rules"], "rules", message)
            return
        self.notes += notes
        team = ident or f"{name.rsplit('/', 1)[-1].split('.')[0]}-{line}"
        self.add(_Policy(_team(team), contexts, found, rules, [f"{name}:{line} {label}"]))

    def contexts(
        self, r: yamlsafe.Reader, keys: dict[str, yaml.Node], node: yaml.Node
    ) -> tuple[str, ...] | None:
        if "decision_context" in keys and "decision_contexts" in keys:
            message = "set decision_context or decision_contexts, not both (as Greenwave says)"
            r.report(keys["decision_contexts"], "decision_contexts", message)
            return None
        if "decision_context" in keys:
            one = r.string(keys["decision_context"], "decision_context")
            return None if one is None else (one,)
        if "decision_contexts" not in keys:
            r.report(node, "decision_contexts", "no decision context: set decision_contexts")
            return None
        items = r.strings(keys["decision_contexts"], "decision_contexts")
        if items == []:
            r.report(keys["decision_contexts"], "decision_contexts", "the list is empty")
        return tuple(dict.fromkeys(item.value for item in items)) if items else None

    def versions(self, name: str, items: list[yamlsafe.Item]) -> list[str]:
        found: dict[str, None] = {}
        for item in items:
            globs, warning = product_globs(item.value, self.products)
            if warning:
                self.notes.append(Note(name, item.line, item.path, warning))
            for glob in globs:
                if (problem := glob_problem(glob)) is not None:
                    message = f"left out product '{glob}': {problem}"
                    self.notes.append(Note(name, item.line, item.path, message))
                else:
                    found[glob] = None
        return list(found)

    def rules(self, r: yamlsafe.Reader, node: yaml.Node, name: str) -> list[_Gate] | None:
        nodes = r.sequence(node, "rules", "a list of rules")
        if nodes is None:
            return None
        gates: list[_Gate] = []
        read: dict[int, _Gate | None] = {}  # an alias is read once: aliases cannot add work
        for index, item in enumerate(nodes):
            path = f"rules[{index}]"
            if id(item) not in read:
                read[id(item)] = self.rule(r, item, path, name)
            if (gate := read[id(item)]) is not None:
                gates.append(gate)
        return gates

    def rule(self, r: yamlsafe.Reader, node: yaml.Node, path: str, name: str) -> _Gate | None:
        if node.tag.startswith("!") and node.tag != PASSING_RULE:
            why = _UNEXPRESSED_RULES.get(node.tag, f"unknown rule; gatekeeper has {PASSING_RULE}")
            self.note(name, node, path, f"left out {node.tag}: {why}")
            return None
        if node.tag != PASSING_RULE:
            r.report(node, path, f"expected a rule like {PASSING_RULE} {{...}}, got {_kind(node)}")
            return None
        keys = r.mapping(_plain(node), path, RULE_KEYS, f"a mapping ({PASSING_RULE} {{...}})")
        if keys is None:
            return None
        if "test_case_name" not in keys:
            r.report(node, f"{path}.test_case_name", "missing required key 'test_case_name'")
            return None
        testcase = r.string(keys["test_case_name"], f"{path}.test_case_name")
        scenario = r.string(keys["scenario"], f"{path}.scenario") if "scenario" in keys else None
        for key in ("valid_since", "valid_until"):
            if key in keys:
                why = "gatekeeper gates have no validity dates: the gate always applies"
                self.note(name, keys[key], f"{path}.{key}", f"left out {key}: {why}")
        if testcase is None or ("scenario" in keys and scenario is None):
            return None
        return _Gate(testcase, scenario, name, yamlsafe.line_of(node))

    def note(self, name: str, node: yaml.Node, key: str, message: str) -> None:
        self.notes.append(Note(name, yamlsafe.line_of(node), key, message))

    def add(self, new: _Policy) -> None:
        """Merge into a policy with the same contexts and products, or the same contexts and
        rules; else a new policy. A testcase another policy gates is left out."""
        same = [old for old in self.policies if old.contexts == new.contexts]
        rules, products = new.rules(), new.products
        target = next((o for o in same if o.rules() == rules or o.products == products), None)
        into = target or new
        gates = [] if target is None else target.gates
        known = {(g.testcase, g.scenario) for g in gates}
        for gate in new.gates:
            owner = self.owner.setdefault(gate.testcase, into)
            key = (gate.testcase, gate.scenario)
            if owner is not into:
                why = f"team '{owner.team}' ({owner.sources[0]}) gates it for other composes"
                message = f"left out '{gate.testcase}': {why} or contexts (one team per testcase)"
                self.notes.append(Note(gate.file, gate.line, "", message))
            elif key not in known:
                known.add(key)
                gates.append(gate)
        if target is not None:
            target.products += [p for p in new.products if p not in target.products]
            target.sources += new.sources
            return
        if new.gates and not gates:
            where, label = new.sources[0].split(" ", 1)
            file, line = where.rsplit(":", 1)
            message = f"{label} skipped: other policies gate all its testcases"
            self.notes.append(Note(file, int(line), "", message))
            return
        new.gates = gates
        taken = {p.team for p in self.policies}
        base, number = new.team, 1
        while new.team in taken:
            number += 1
            new.team = f"{base}-{number}"
        self.policies.append(new)


def _plain(node: yaml.Node) -> yaml.Node:
    """A Greenwave-tagged mapping as a plain one (its tag was checked), for the Reader."""
    if isinstance(node, yaml.MappingNode):
        return yaml.MappingNode(yamlsafe.MAP, node.value, node.start_mark, node.end_mark)
    return node


def _kind(node: yaml.Node) -> str:
    return f"tagged {node.tag}" if node.tag.startswith("!") else yamlsafe.describe(node)


def _team(ident: str) -> str:  # a valid team name from a Greenwave policy id
    team = re.sub(r"[^a-z0-9_-]+", "-", ident.lower()).strip("-_")
    team = team if re.fullmatch(TEAM_PATTERN, team) else f"greenwave-{team}".rstrip("-")
    return team[:100]


def _scalar(value: str) -> str:
    """A YAML scalar for ``value``: plain when that reads back as the same string."""
    if _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value)


def _printable(text: str) -> str:  # values from the files, escaped for one line of a terminal
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _glob_of(testcase: str) -> str:  # an owns glob matching exactly the testcase
    return re.sub(r"([*?\[])", r"[\1]", testcase)


def render(policy: _Policy) -> str:
    """The policy file's YAML text, where it came from in comments."""
    lines = [f"# Imported from Greenwave: {_comment(s)}" for s in policy.sources]
    contexts = ", ".join(_scalar(c) for c in policy.contexts)
    one = len(policy.contexts) == 1
    owns = dict.fromkeys(_glob_of(g.testcase) for g in policy.gates)
    lines += [
        f"team: {policy.team}",
        f"description: {_scalar('Greenwave policy for ' + ', '.join(policy.contexts))}",
        f"decision_context: {contexts if one else f'[{contexts}]'}",
        f"owns: [{', '.join(_scalar(o) for o in owns)}]" if owns else "",
        "applies_to:",
        f"  products: [{', '.join(_scalar(p) for p in policy.products)}]",
        "gates:" if policy.gates else "gates: []",
    ]
    for gate in policy.gates:
        lines.append(f"  - testcase: {_scalar(gate.testcase)}")
        if gate.scenario is not None:
            lines.append(f"    scenario: {_scalar(gate.scenario)}")
    return "\n".join(line for line in lines if line) + "\n"
