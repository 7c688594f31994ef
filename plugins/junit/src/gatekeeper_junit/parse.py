"""JUnit XML reports -> gatekeeper Results (read with junitparser, after :mod:`xmlsafe`).

One upload is one or more files for one compose. Every ``<testcase>`` of every
``<testsuite>``, at any nesting depth, is read. The README's "How a report is read"
section is the reference for the rules below; the tests hold them to it.

- **Outcome.** ``<failure>`` -> FAILED; else ``<error>`` -> ERROR; else ``<skipped>`` ->
  not stored (``[junit] skipped = "omit"``, the default) or INFO (``"info"``); else PASSED.
- **Reruns** (Surefire ``rerunFailingTestsCount``, pytest-rerunfailures in xunit2 form):
  ``<flakyFailure>``/``<flakyError>`` without a final failure or error -> PASSED, noted
  ``flaky``; a final ``<failure>``/``<error>`` with ``<rerunFailure>``/``<rerunError>`` keeps
  its outcome and notes the reruns; reruns without a final result -> FAILED.
- **Properties** ``arch``, ``scenario``, ``variant`` of a testcase, else of its innermost
  suite that sets them, else of the enclosing suites, else the command's options. A tmt
  plan's suite (tmt's default JUnit flavour) is the scenario of its testcases, as in the
  tmt plugin, unless a property says otherwise.
- **Names** follow the ``name_format`` template (:mod:`naming`); tmt's testcases are read
  as the tmt plugin reads them (``/tests/pass`` -> ``ci.tests.pass``).
- **Duplicates.** Testcases with the same key (name, scenario, arch, variant) in one upload
  become one result: the worst outcome (FAILED > ERROR > INFO > PASSED), noting how many and
  listing the first :data:`MAX_OCCURRENCES` places.
- **Ids.** A result's id hashes the digests of the files it came from, its key, its outcome
  and the optional run id: the same upload sent again is stored once.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import PurePath
from typing import Any, TypeVar, cast

from junitparser import Error, Failure, Properties, Property, Skipped
from junitparser.xunit2 import TestCase, TestSuite

from gatekeeper.errors import ErrorGroup, GatekeeperError, InputError, raise_all
from gatekeeper.model import Outcome, Result
from gatekeeper_junit.naming import fmf_dotted, namespace_prefix, render, tmt_fields, tmt_role
from gatekeeper_junit.notes import summary
from gatekeeper_junit.options import Options
from gatekeeper_junit.xmlsafe import Document, parse_xml

__all__ = ["Case", "Options", "Parsed", "Tally", "parse", "parse_files", "read_cases", "stamped"]

SOURCE = "junit"
SUITE_PROPERTIES = ("arch", "scenario", "variant")
SEVERITY = {Outcome.PASSED: 0, Outcome.INFO: 1, Outcome.ERROR: 2, Outcome.FAILED: 3}
MAX_NOTE = 300
MAX_OCCURRENCES = 100
"""The places of one key's testcases a folded result lists (the rest are counted)."""


@dataclass
class Tally:
    """What one file held, counted per testcase."""

    file: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0

    @property
    def testcases(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    def summary(self, skipped_mode: str = "omit") -> str:
        flaky = f" ({self.flaky} flaky)" if self.flaky else ""
        kept = " (not stored)" if skipped_mode == "omit" and self.skipped else ""
        return (
            f"{self.file}: {self.testcases} testcases: {self.passed} passed{flaky}, "
            f"{self.failed} failed, {self.errors} errors, {self.skipped} skipped{kept}"
        )


@dataclass(frozen=True)
class Case:
    """One ``<testcase>`` as read, before duplicates are folded."""

    testcase: str
    scenario: str | None
    arch: str | None
    variant: str | None
    outcome: Outcome
    note: str | None
    data: dict[str, Any]
    digest: str
    place: str

    @property
    def key(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.testcase, self.scenario, self.arch, self.variant)


@dataclass(frozen=True)
class Parsed:
    results: list[Result]
    tallies: list[Tally]
    folded: int = 0  # testcases folded into another of the same key


def parse(data: bytes, *, compose: str, options: Mapping[str, Any]) -> list[Result]:
    """The registered ``junit`` result format: one file, all its results or an InputError."""
    opts, filename = Options.from_mapping(compose, options)
    return parse_files([(filename, data)], opts).results


def parse_files(files: Sequence[tuple[str, bytes | Callable[[], bytes]]], opts: Options) -> Parsed:
    """Every file of one upload -> its results; any bad file raises and returns nothing.

    A file is its bytes or a function reading them (which may raise a located error).
    Every file is tried, so the error names every bad one, in the order given.
    """
    cases: list[Case] = []
    tallies: list[Tally] = []
    errors: list[GatekeeperError] = []
    for name, data in files:
        tally = Tally(name)
        try:
            cases.extend(read_cases(name, data if isinstance(data, bytes) else data(), opts, tally))
        except ErrorGroup as group:
            errors.extend(group.errors)
        except GatekeeperError as exc:
            errors.append(exc)
        tallies.append(tally)
    raise_all(errors)
    results, folded = _fold(cases, opts)
    return Parsed(results, tallies, folded)


def read_cases(file: str, data: bytes, opts: Options, tally: Tally) -> list[Case]:
    """One file's testcases; raises (all of the file's testcase errors at once) when bad."""
    doc = parse_xml(data, file=file, max_bytes=opts.max_bytes)
    if doc.root.tag not in ("testsuites", "testsuite"):
        raise InputError(
            f"<{doc.root.tag}> is not a JUnit report: the root element must be "
            "<testsuites> or <testsuite>",
            file=file,
            line=doc.line_of(doc.root),
        )
    source = Source(file, PurePath(file).name, hashlib.sha256(data).hexdigest(), doc,
                    namespace_prefix(opts.namespace))  # fmt: skip
    base = {"arch": opts.arch, "scenario": opts.scenario, "variant": opts.variant,
            "suite": None, "tmt": None}  # fmt: skip
    cases: list[Case] = []
    errors: list[GatekeeperError] = []
    for case, context in _walk(doc, base):
        try:
            cases.extend(_read_case(case, context, source, opts, tally))
        except GatekeeperError as exc:
            errors.append(exc)
    raise_all(errors)
    return cases


Context = dict[str, str | None]


def _walk(doc: Document, base: Context) -> Iterator[tuple[ET.Element, Context]]:
    """Every testcase element with its suite context: suites in document order, at any depth.

    Iterative (no recursion; nesting is bounded by ``xmlsafe.MAX_DEPTH`` anyway). The
    tree is walked as junitparser's ``iterchildren`` walks it (``iterfind`` of its classes'
    tags), on the elements themselves: a testcase is wrapped in junitparser's
    :class:`TestCase` only when it has a result to judge (see :func:`_read_case`).
    """
    if doc.root.tag == "testsuite":
        suites = [doc.root]
    else:
        for case in _children(doc.root, TestCase):  # not valid JUnit, but not silently dropped
            yield case, base
        suites = _children(doc.root, TestSuite)
    stack = [(suite, base) for suite in reversed(suites)]
    while stack:
        suite, outer = stack.pop()
        name = (suite.get("name") or "").strip()
        cases = _children(suite, TestCase)
        first = cases[0].attrib if cases else {}
        context = dict(outer)
        context["tmt"] = tmt_role(name, first.get("classname"), first.get("name"))
        if context["tmt"] == "plan":
            context["scenario"] = name  # the plan, as the tmt plugin's scenario
        context = _with_properties(context, suite)
        context["suite"] = name or outer["suite"]
        for case in cases:
            yield case, context
        stack.extend((child, context) for child in reversed(_children(suite, TestSuite)))


def _with_properties(context: Context, element: ET.Element) -> Context:
    """``arch``, ``scenario``, ``variant`` of the element's own ``<properties>`` win."""
    for properties in _children(element, Properties):
        for prop in _children(properties, Property):
            name = (prop.get("name") or "").strip()
            value = (prop.get("value") or "").strip()
            if name in SUITE_PROPERTIES and value:
                context[name] = value
    return context


J = TypeVar("J")


def _wrap(kind: type[J], element: ET.Element) -> J:
    """junitparser's ``fromelem`` (untyped there)."""
    wrapped: J = cast(Any, kind).fromelem(element)
    return wrapped


def _children(parent: ET.Element, kind: type[Any]) -> list[ET.Element]:
    """The direct children of a junitparser kind, as its ``iterchildren`` finds them
    (``iterfind`` of the kind's tag), without wrapping each in a junitparser object."""
    return list(parent.iterfind(kind._tag))


@dataclass(frozen=True)
class Source:
    """The file a testcase is read from."""

    file: str  # as given, for error places
    name: str  # base name, for the {file} field and data.file
    digest: str  # SHA-256 of its bytes, for result ids
    doc: Document
    prefix: str  # the namespace's prefix, for the {namespace} field


_OUTCOMES = {
    "passed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "errors": Outcome.ERROR,
    "skipped": Outcome.INFO,
}


def _read_case(
    case: ET.Element, context: Context, source: Source, opts: Options, tally: Tally
) -> list[Case]:
    line = source.doc.line_of(case)
    name = (case.get("name") or "").strip()
    if not name:
        raise InputError("a <testcase> has no name attribute", file=source.file, line=line)
    # A testcase without children (most of them) has no properties and no result: passed.
    own = _with_properties(dict(context), case) if len(case) else context
    classname = (case.get("classname") or "").strip()
    fields = {
        "namespace": source.prefix,
        "classname": classname or own["suite"] or "",
        "name": name,
        "suite": own["suite"] or "",
        "file": source.name,
    }
    if own["tmt"] and not classname and name.startswith("/") and fmf_dotted(name):
        fields.update(tmt_fields(name, own["suite"] or "", own["tmt"]))
    testcase = render(opts.name_format, fields)
    kind, note, extra = judge(_wrap(TestCase, case)) if len(case) else ("passed", None, {})
    setattr(tally, kind, getattr(tally, kind) + 1)
    if extra.get("flaky"):
        tally.flaky += 1
    if kind == "skipped" and opts.skipped == "omit":
        return []
    data: dict[str, Any] = {
        "file": source.name,
        "line": line,
        "suite": own["suite"],
        "classname": classname or None,
        "name": name,
        **extra,
    }
    if None in data.values():
        data = {k: v for k, v in data.items() if v is not None}
    return [
        Case(
            testcase=testcase,
            scenario=own["scenario"],
            arch=own["arch"],
            variant=own["variant"],
            outcome=_OUTCOMES[kind],
            note=note,
            data=data,
            digest=source.digest,
            place=f"{source.file}:{line}",
        )
    ]


def judge(case: TestCase) -> tuple[str, str | None, dict[str, Any]]:
    """``(kind, note, data)``; kind is passed, failed, errors or skipped (Tally's fields)."""
    final = case.result
    failures = [r for r in final if isinstance(r, Failure)]
    errors = [r for r in final if isinstance(r, Error)]
    skipped = [r for r in final if isinstance(r, Skipped)]
    reruns = [*case.rerun_failures(), *case.rerun_errors()]
    flakes = [*case.flaky_failures(), *case.flaky_errors()]
    again = f" (and again in {len(reruns)} rerun(s))" if reruns else ""
    extra: dict[str, Any] = {"reruns": len(reruns)} if reruns else {}
    if failures:
        return "failed", _note("failure", failures[0]) + again, extra
    if errors:
        return "errors", _note("error", errors[0]) + again, extra
    if reruns:
        note = _note("rerun failures without a final result, counted as failed", reruns[0])
        return "failed", note, extra
    if skipped:
        return "skipped", _note("skipped", skipped[0]), {"skipped": True}
    if flakes:
        note = _note(f"flaky: passed on rerun after {len(flakes)} failed attempt(s)", flakes[0])
        return "passed", note, {"flaky": len(flakes)}
    return "passed", None, {}


def _note(what: str, result: Any) -> str:
    detail = summary(result.message, result.type, result.text)
    note = f"{what}: {detail}" if detail else what
    return note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 3] + "..."


def _fold(cases: list[Case], opts: Options) -> tuple[list[Result], int]:
    """One result per key: the worst of the upload's reports of it, with a stable id."""
    groups: dict[tuple[str, str | None, str | None, str | None], list[Case]] = {}
    for case in cases:
        groups.setdefault(case.key, []).append(case)
    now = opts.submit_time or datetime.now(UTC)
    run_id = _json_text(opts.run_id)
    results = []
    for key, group in groups.items():
        if len(group) == 1:
            (worst,) = group
            note, data = worst.note, worst.data  # the Case is dropped: its data is the result's
            digests = [worst.digest]
        else:
            worst = max(group, key=lambda c: SEVERITY[c.outcome])  # the first of the worst
            note, data = worst.note, dict(worst.data)
            note = f"worst of {len(group)} reports in this upload" + (f"; {note}" if note else "")
            data["occurrences"] = [c.place for c in group[:MAX_OCCURRENCES]]
            if len(group) > MAX_OCCURRENCES:  # a file repeating one testcase 100,000 times
                data["occurrences_left_out"] = len(group) - MAX_OCCURRENCES
            digests = sorted({c.digest for c in group})
        testcase, scenario, arch, variant = key
        # exactly json.dumps(["junit/1", digests, *key, outcome, run_id]), written out: a
        # quarter of json.dumps' time per result
        identity = (
            f'["junit/1", [{", ".join(map(encode_basestring_ascii, digests))}], '
            f"{encode_basestring_ascii(testcase)}, {_json_text(scenario)}, {_json_text(arch)}, "
            f"{_json_text(variant)}, {encode_basestring_ascii(worst.outcome.value)}, {run_id}]"
        )
        results.append(
            Result(
                opts.compose,
                worst.testcase,
                worst.outcome,
                now,
                hashlib.sha256(identity.encode()).hexdigest(),
                worst.scenario,
                worst.arch,
                worst.variant,
                opts.ref_url,
                note,
                data,
                None,
                SOURCE,
            )
        )
    return results, len(cases) - len(groups)


def _json_text(value: str | None) -> str:
    """``json.dumps`` of a string or None."""
    return "null" if value is None else encode_basestring_ascii(value)


def stamped(results: Sequence[Result], when: datetime) -> list[Result]:
    """``[replace(r, submit_time=when) for r in results]``, built directly (``replace``
    costs several times a Result's construction)."""
    return [
        Result(r.compose, r.testcase, r.outcome, when, r.id, r.scenario, r.arch, r.variant,
               r.ref_url, r.note, r.data, r.reporter, r.source)
        if type(r) is Result
        else replace(r, submit_time=when)
        for r in results
    ]  # fmt: skip
