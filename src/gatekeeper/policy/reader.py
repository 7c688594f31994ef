"""Team policies: ``policies/<team>.yaml`` -> :class:`~gatekeeper.model.Policy`.

Each file is read with located YAML (:mod:`gatekeeper.policy.yamlsafe`), so every
mistake becomes one :class:`PolicyError` ``file:line: key.path: what is wrong``.
A directory is loaded as a whole: every error of every file, plus the checks
across files (unique team names, disjoint ``owns`` globs), is raised at once.
:func:`policy_schema` publishes the same rules as a JSON Schema for editors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from gatekeeper.errors import GatekeeperError, InputError, PolicyError, raise_all
from gatekeeper.inputs import read_text
from gatekeeper.limits import MAX_EXPIRES, MAX_RETRIES
from gatekeeper.model import AppliesTo, Gate, Policy, Reporters, WaiverRules
from gatekeeper.policy import yamlsafe
from gatekeeper.policy.globs import glob_problem, is_glob, overlap_example
from gatekeeper.policy.schema import (
    COMPOSE_TYPES,
    DEFAULT_DECISION_CONTEXT,
    ON_MISSING,
    TEAM_PATTERN,
)

TOP_KEYS = (
    "team", "description", "contact", "owns", "reporters", "applies_to", "gates",
    "decision_context", "waivers",
)  # fmt: skip
REPORTER_KEYS = ("users", "groups")
APPLIES_KEYS = ("products", "types")
GATE_KEYS = ("testcase", "arches", "scenario", "required", "deadline", "on_missing", "retries",
             "waivers")  # fmt: skip
WAIVER_KEYS = ("require_bug", "max_expires")
POLICY_SUFFIXES = (".yaml", ".yml")
MAX_POLICY_BYTES = 1024 * 1024
"""The largest policy file read (its size is checked before it is read)."""
MAX_DEADLINE = timedelta(days=366)
"""The longest ``deadline`` of a gate (counted from the announcement)."""


# -- matching ---------------------------------------------------------------------------------


def owns(policy: Policy, testcase: str) -> bool:
    """Whether the testcase matches one of the policy's ``owns`` globs."""
    return any(fnmatchcase(testcase, glob) for glob in policy.owns)


def team_for(policies: Iterable[Policy], testcase: str) -> Policy | None:
    """The policy owning ``testcase`` (loaded policies never overlap), or None."""
    return next((policy for policy in policies if owns(policy, testcase)), None)


# -- one file ---------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """A file's policy (best effort: built whenever the team is valid), errors and key lines."""

    file: str
    policy: Policy | None = None
    errors: list[PolicyError] = field(default_factory=list)
    team_line: int = 0
    #: where each of ``policy.owns`` was written: (key path, line); the team line by default
    owns_at: list[tuple[str, int]] = field(default_factory=list)


def parse_policy(text: str, filename: str) -> tuple[Policy | None, list[PolicyError]]:
    """Parse one policy file's text: the policy (None when there are errors) and the errors."""
    parsed = _parse(text, filename)
    return (None if parsed.errors else parsed.policy), parsed.errors


def _parse(text: str, filename: str) -> _Parsed:
    parsed = _Parsed(filename)
    try:
        root = yamlsafe.compose(text)
        if root is None:
            raise yamlsafe.YamlProblem("the file is empty; a policy needs 'team: <name>'", 1)
    except yamlsafe.YamlProblem as exc:
        parsed.errors.append(PolicyError(exc.message, file=filename, line=exc.line))
        return parsed
    reader = yamlsafe.Reader()
    _PolicyReader(reader, parsed).read(root)
    problems = sorted(reader.problems, key=lambda p: (p.line or 0, p.column))
    parsed.errors = [_error(p.message, filename, p.line, p.key or None) for p in problems]
    return parsed


def _error(message: str, file: str, line: int | None, key: str | None = None) -> PolicyError:
    """A PolicyError on one line: unprintable characters (from values) are escaped."""

    def printable(text: str) -> str:
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)

    return PolicyError(printable(message), file=file, line=line, key=key and printable(key))


class _PolicyReader:
    """Turns a composed policy document into a Policy, reporting every mistake."""

    def __init__(self, reader: yamlsafe.Reader, parsed: _Parsed) -> None:
        self.r = reader
        self.parsed = parsed

    def read(self, root: yaml.Node) -> None:
        what = "a mapping of policy keys (team, owns, gates, ...) at the top level"
        top = self.r.mapping(root, "", TOP_KEYS, what)
        if top is None:
            return
        team = self.team(top.get("team"), root)
        text = {k: self.r.string(top[k], k) for k in ("description", "contact") if k in top}
        owned = self.owns(top["owns"]) if "owns" in top else None
        if team is not None and "owns" not in top:
            owned = (f"{team}.*",)
            self.parsed.owns_at = [("owns", self.parsed.team_line)]
        # a gate's ownership is only checked against owns globs that are all valid
        complete = "owns" not in top or len(owned or ()) == len(top["owns"].value)
        reporters = self.reporters(top["reporters"]) if "reporters" in top else Reporters()
        applies_to = self.applies_to(top["applies_to"]) if "applies_to" in top else AppliesTo()
        gates = self.gates(top.get("gates"), team, owned if complete else None)
        contexts: tuple[str, ...] = (DEFAULT_DECISION_CONTEXT,)
        if "decision_context" in top:
            contexts = self.decision_contexts(top["decision_context"]) or contexts
        waivers = self.waivers(top["waivers"], "waivers") if "waivers" in top else None
        if team is not None:
            self.parsed.policy = Policy(
                waivers=waivers or WaiverRules(),
                team=team,
                owns=owned or (),
                gates=gates,
                reporters=reporters,
                applies_to=applies_to,
                file=self.parsed.file,
                decision_contexts=contexts,
                **text,
            )

    def waivers(self, node: yaml.Node, path: str) -> WaiverRules | None:
        """``waivers: {require_bug: true, max_expires: 14d}``."""
        keys = self.r.mapping(node, path, WAIVER_KEYS, "a mapping (require_bug, max_expires)")
        if keys is None:
            return None
        bug = self.r.boolean(keys["require_bug"], f"{path}.require_bug") if (
            "require_bug" in keys) else False  # fmt: skip
        most = self.r.duration(keys["max_expires"], f"{path}.max_expires") if (
            "max_expires" in keys) else None  # fmt: skip
        if bug is None or ("max_expires" in keys and most is None):
            return None
        if most is not None and most > MAX_EXPIRES:
            longest = f"more than {MAX_EXPIRES.days}d, the longest a waiver may last"
            self.r.report(keys["max_expires"], f"{path}.max_expires", longest)
            return None
        return WaiverRules(require_bug=bug, max_expires=most)

    def deadline(self, node: yaml.Node, path: str) -> timedelta | None:
        """A gate's deadline: a positive duration of at most :data:`MAX_DEADLINE`."""
        value = self.r.duration(node, path)
        if value is not None and value > MAX_DEADLINE:
            longest = f"more than {MAX_DEADLINE.days}d, the longest deadline a gate may have"
            self.r.report(node, path, f"'{node.value}' is {longest}")
            return None
        return value

    def team(self, node: yaml.Node | None, root: yaml.Node) -> str | None:
        if node is None:
            self.r.report(root, "team", "missing required key 'team'; add 'team: <name>'")
            return None
        self.parsed.team_line = yamlsafe.line_of(node)
        team = self.r.string(node, "team", "a team name")
        if team is not None and not re.fullmatch(TEAM_PATTERN, team):
            rule = "use lowercase letters, digits, '_' and '-', starting with a letter or digit"
            self.r.report(node, "team", f"invalid team name '{team}': {rule}")
            return None
        return team

    def decision_contexts(self, node: yaml.Node) -> tuple[str, ...] | None:
        """A decision context's name, or a list of them (Greenwave's ``decision_context``)."""
        if isinstance(node, yaml.ScalarNode):
            name = self.r.string(node, "decision_context", "a decision context")
            return None if name is None else (name,)
        if not isinstance(node, yaml.SequenceNode):
            self.r.wrong(node, "decision_context", "a decision context or a list of them")
            return None
        hint = "or remove the key to answer the 'gatekeeper' context"
        return self.r.unique_strings(node, "decision_context", "decision contexts", hint)

    def globs(self, node: yaml.Node, path: str) -> list[yamlsafe.Item] | None:
        items = self.r.strings(node, path, "globs", empty=True)
        if items is None:
            return None
        good = []
        for item in items:
            problem = glob_problem(item.value)
            if problem is None:
                good.append(item)
            else:
                self.r.report(item, item.path, f"bad glob '{item.value}': {problem}")
        return good

    def owns(self, node: yaml.Node) -> tuple[str, ...] | None:
        items = self.globs(node, "owns")
        if items is None:
            return None
        if not node.value:
            hint = "list at least one testcase glob, or remove the key to own '<team>.*'"
            self.r.report(node, "owns", f"owns is empty: {hint}")
        self.parsed.owns_at = [(item.path, item.line) for item in items]
        return tuple(item.value for item in items)

    def reporters(self, node: yaml.Node) -> Reporters:
        keys = self.r.mapping(node, "reporters", REPORTER_KEYS) or {}
        found = {key: self.r.strings(value, f"reporters.{key}") for key, value in keys.items()}
        return Reporters(**{k: tuple(i.value for i in items or ()) for k, items in found.items()})

    def applies_to(self, node: yaml.Node) -> AppliesTo:
        keys = self.r.mapping(node, "applies_to", APPLIES_KEYS) or {}
        products = self.globs(keys["products"], "applies_to.products") if "products" in keys else []
        types = self.types(keys["types"]) if "types" in keys else []
        return AppliesTo(tuple(i.value for i in products or ()), tuple(i.value for i in types))

    def types(self, node: yaml.Node) -> list[yamlsafe.Item]:
        good = []
        known = ", ".join(COMPOSE_TYPES)
        for item in self.r.strings(node, "applies_to.types", "compose types", empty=True) or ():
            value, problem = item.value, None
            if not is_glob(value):
                if value not in COMPOSE_TYPES:
                    problem = f"unknown compose type '{value}'; use one of {known}, or a glob"
            elif (why := glob_problem(value)) is not None:
                problem = f"bad glob '{value}': {why}"
            elif not any(fnmatchcase(t, value) for t in COMPOSE_TYPES):
                problem = f"glob '{value}' matches no compose type ({known}): it never applies"
            if problem is None:
                good.append(item)
            else:
                self.r.report(item, item.path, problem)
        return good

    def gates(
        self, node: yaml.Node | None, team: str | None, owned: tuple[str, ...] | None
    ) -> tuple[Gate, ...]:
        gates: list[Gate] = []
        first: dict[tuple[str, str | None], str] = {}
        nodes = self.r.sequence(node, "gates", "a list of gates") if node is not None else []
        for index, item in enumerate(nodes or ()):
            path = f"gates[{index}]"
            found = self.gate(item, path)
            if found is None:
                continue
            gate, testcase_line = found
            key = (gate.testcase, gate.scenario)
            if key in first:
                where = f"scenario '{gate.scenario}'" if gate.scenario else "no scenario"
                message = f"duplicate gate for testcase '{gate.testcase}' ({where})"
                self.r.report(item, path, f"{message}; first at {first[key]}: merge them")
                continue
            first[key] = f"{path} (line {gate.line})"
            if owned is not None and not any(fnmatchcase(gate.testcase, g) for g in owned):
                message = f"testcase '{gate.testcase}' is not owned by team '{team}'"
                hint = f"(owns: {', '.join(owned) or 'nothing'}); rename it or extend owns"
                self.r.report(testcase_line, f"{path}.testcase", f"{message} {hint}")
            gates.append(gate)
        return tuple(gates)

    def gate(self, node: yaml.Node, path: str) -> tuple[Gate, int] | None:
        keys = self.r.mapping(node, path, GATE_KEYS, "a gate (a mapping with a testcase)")
        if keys is None:
            return None
        r = self.r
        readers: dict[str, Callable[[yaml.Node, str], object]] = {
            "testcase": lambda n, p: r.string(n, p, "a testcase name"),
            "arches": lambda n, p: r.unique_strings(
                n, p, "arches", "or remove the key to leave the arch unconstrained"
            ),
            "scenario": lambda n, p: r.string(n, p, "a scenario name"),
            "required": r.boolean,
            "deadline": self.deadline,
            "on_missing": lambda n, p: r.choice(n, p, ON_MISSING),
            "retries": lambda n, p: r.count(n, p, MAX_RETRIES),
            "waivers": self.waivers,
        }
        values = {key: readers[key](value, f"{path}.{key}") for key, value in keys.items()}
        if "testcase" not in keys:
            self.r.report(node, f"{path}.testcase", "missing required key 'testcase'")
        if "testcase" not in keys or None in values.values():
            return None
        gate = Gate(**values, line=yamlsafe.line_of(node))  # type: ignore[arg-type]
        return gate, yamlsafe.line_of(keys["testcase"])


# -- a directory ------------------------------------------------------------------------------


def _read(path: Path) -> _Parsed:
    try:
        text = read_text(path, limit=MAX_POLICY_BYTES)
    except InputError as exc:
        return _Parsed(str(path), errors=[PolicyError(exc.message, file=str(path), line=exc.line)])
    return _parse(text, str(path))


def load_policy_file(path: str | Path) -> Policy:
    """Load one policy file; raises its errors (an ErrorGroup when several)."""
    parsed = _read(Path(path))
    raise_all(list(parsed.errors))
    assert parsed.policy is not None  # no errors means a team, hence a policy
    return parsed.policy


def load_policies(directory: str | Path) -> list[Policy]:
    """Load every ``*.yaml``/``*.yml`` of ``directory`` (not recursive), sorted by team.

    Every error of every file, and of the checks across files, is raised at once
    (an ErrorGroup when several), sorted by file then line.
    """
    folder = Path(directory)
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise PolicyError(f"policy directory {what}", file=str(directory))
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in POLICY_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )
    if not files:
        raise PolicyError("no policy files (*.yaml, *.yml) in the directory", file=str(directory))
    parsed = [_read(path) for path in files]
    errors: list[GatekeeperError] = [e for p in parsed for e in p.errors]
    errors.extend(_across_files(parsed))
    errors.sort(key=lambda e: (e.file or "", e.line or 0))
    raise_all(errors)
    return sorted((p.policy for p in parsed if p.policy is not None), key=lambda p: p.team)


def _across_files(parsed: list[_Parsed]) -> list[PolicyError]:
    """Unique team names and disjoint owns globs, located in the later file."""
    errors: list[PolicyError] = []
    earlier: dict[str, _Parsed] = {}
    for this in parsed:
        if this.policy is None:
            continue
        team = this.policy.team
        if team not in earlier:
            errors.extend(_overlaps(this, earlier.values()))
            earlier[team] = this
            continue
        first = earlier[team]
        message = f"team '{team}' is already defined in {first.file}:{first.team_line}"
        errors.append(
            _error(f"{message}; team names must be unique", this.file, this.team_line, "team")
        )
    return errors


def _overlaps(this: _Parsed, earlier: Iterable[_Parsed]) -> Iterable[PolicyError]:
    """The first glob of each earlier team that each of this policy's owns globs overlaps."""
    assert this.policy is not None
    for glob, (key, line) in zip(this.policy.owns, this.owns_at, strict=True):
        label = f"glob '{glob}'" if key != "owns" else f"default glob '{glob}' (owns not set)"
        for other in earlier:
            assert other.policy is not None
            for theirs, (at_key, at_line) in zip(other.policy.owns, other.owns_at, strict=True):
                if (example := overlap_example(glob, theirs)) is not None:
                    where = f"{other.file}:{at_line} {at_key}"
                    message = f"{label} overlaps glob '{theirs}' of team '{other.policy.team}'"
                    hint = f"a testcase like '{example}' would belong to both; make them disjoint"
                    yield _error(f"{message} ({where}): {hint}", this.file, line, key)
                    break
