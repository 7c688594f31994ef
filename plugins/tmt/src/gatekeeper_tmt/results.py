"""One plan's ``execute/results.yaml`` -> gatekeeper results: the ``tmt`` result format.

The mapping (also in the README):

- testcase: ``<namespace>.<test name>``, the test name without its leading ``/`` and
  with ``/`` read as ``.``: ``--namespace t_functional`` and ``/tests/pass`` give
  ``t_functional.tests.pass``; without a namespace, ``tests.pass``;
- scenario: the plan name as tmt spells it (``/plans/one``);
- arch: the ``arch`` fact tmt recorded for the result's guest, else the ``arch`` option;
- outcome: see :data:`OUTCOMES`;
- one result per tmt result: subresults and checks are kept in ``data`` and the ones that
  did not pass are named in ``note``; they do not change the outcome, which tmt already
  decided from them (shell tests: the worst subresult; beakerlib: its own verdict; a check
  counts as its ``result`` interpretation says);
- submit time: when the test ended (else started);
- id: plan, serial number, guest and a digest of the execution (the test's own start and
  end times, the ``run_id`` option, the arch): re-reporting the same run stores nothing
  new; a new execution of a test, or the same file reported for another arch, is a new
  result;
- ref_url: the ``log_url`` template, else the result's ``web-link``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from string import Formatter
from typing import Any
from urllib.parse import quote

from gatekeeper.errors import InputError
from gatekeeper.model import Outcome, Result
from gatekeeper.timeutil import parse_time
from gatekeeper_tmt import CALLER_OPTIONS
from gatekeeper_tmt.tmtyaml import Checker, checker, load

SOURCE = "tmt"

#: tmt outcome -> gatekeeper outcome. ``warn`` needs a human look; ``skip`` proves nothing
#: (a gate must not pass on a test that did not run: it needs a look, a re-run or a
#: waiver); ``pending`` was planned and has not run yet.
OUTCOMES: dict[str, Outcome] = {
    "pass": Outcome.PASSED,
    "info": Outcome.INFO,
    "fail": Outcome.FAILED,
    "warn": Outcome.NEEDS_INSPECTION,
    "error": Outcome.ERROR,
    "skip": Outcome.NEEDS_INSPECTION,
    "pending": Outcome.QUEUED,
}

#: Options the code calling the parser gives besides a caller's (``CALLER_OPTIONS``).
_INTERNAL_OPTIONS = frozenset({"file", "guests", "now"})

#: Placeholders of the ``log_url`` template.
TEMPLATE_FIELDS = ("compose", "run", "plan", "test", "serial", "guest", "arch", "testcase", "log")

_FINE = ("pass", "info")


def to_testcase(namespace: str | None, test: str) -> str:
    """``t_functional`` + ``/tests/pass`` -> ``t_functional.tests.pass``."""
    parts = [p for p in test.split("/") if p]
    prefix = (namespace or "").strip().strip(".")
    return ".".join([prefix, *parts] if prefix else parts)


def check_template(template: str | None, key: str = "log_url") -> None:
    """Refuse a template that is not plain text and plain ``{name}`` placeholders of
    :data:`TEMPLATE_FIELDS`, before anything is read: no conversion (``!r``), no format
    spec (``:>99999999`` would pad a value to any length), no attribute or index access."""
    if not template:
        return
    known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    try:
        pieces = list(Formatter().parse(template))
    except ValueError as exc:
        raise InputError(f"bad URL template: {exc}; placeholders are {known}", key=key) from None
    for _, name, spec, conversion in pieces:
        if name is None:
            continue
        problem = None
        if conversion is not None:
            problem = f"a placeholder takes no conversion (!{conversion})"
        elif spec:
            problem = f"a placeholder takes no format spec (:{spec})"
        elif not name:
            problem = "a placeholder needs a name ({} has none)"
        elif any(c in name for c in ".["):
            problem = f"a placeholder takes no attribute or index access ({{{name}}})"
        elif name not in TEMPLATE_FIELDS:
            problem = f"unknown placeholder {{{name}}} in the URL template"
        if problem:
            raise InputError(f"{problem}; use plain {known}", key=key)


def parse(data: bytes, *, compose: str, options: Mapping[str, Any]) -> list[Result]:
    """The ``tmt`` result format: one plan's ``execute/results.yaml``.

    ``options``: ``namespace``, ``arch`` (fallback), ``plan`` (or ``scenario``),
    ``log_url`` (template), ``run`` (the run's name, for the template), ``run_id``,
    ``guests`` (guest name -> arch, from tmt's facts), ``file`` (name in errors),
    ``now`` (submit time of results that never started). Raises a located
    :class:`InputError`; never returns a partial list.
    """
    unknown = sorted(set(options) - CALLER_OPTIONS - _INTERNAL_OPTIONS)
    if unknown:
        takes = ", ".join(sorted(CALLER_OPTIONS))
        raise InputError(f"the tmt format takes no option {unknown[0]!r}; it takes {takes}",
                         key=unknown[0])  # fmt: skip
    file = str(options.get("file") or "results.yaml")
    plan = _option(options, "plan") or _option(options, "scenario")
    log_url = _option(options, "log_url")
    check_template(log_url)
    document = load(data, file)
    if document is None:
        return []
    if not isinstance(document, list):
        raise InputError(
            f"expected a list of tmt results, got {type(document).__name__}", file=file, line=1
        )
    context = _Context(
        compose=compose,
        file=file,
        plan=plan,
        namespace=_option(options, "namespace"),
        arch=_option(options, "arch"),
        log_url=log_url,
        run=_option(options, "run") or "",
        run_id=_option(options, "run_id"),
        guests=_mapping(options, "guests"),
        now=_time(options, "now"),
        fallback=_fallback_stamp(document, data),
    )
    lines = getattr(document, "lines", [])
    return [
        context.result(checker(file, item, f"[{index}]", lines[index] if lines else None))
        for index, item in enumerate(document)
    ]


def _option(options: Mapping[str, Any], key: str) -> str | None:
    value = options.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {value!r}", key=key)
    return value


def _mapping(options: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = options.get(key) or {}
    if not isinstance(value, Mapping):
        raise InputError(f"expected a mapping, got {value!r}", key=key)
    return value


def _time(options: Mapping[str, Any], key: str) -> datetime:
    value = options.get(key)
    if value is None:
        return datetime.now(UTC)
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InputError(str(exc), key=key) from None


def _fallback_stamp(document: list[Any], data: bytes) -> str:
    """What tells this execution apart when a result has no times: the earliest time of the
    file, else the file's digest."""
    times = [
        str(item.get(key))
        for item in document
        if isinstance(item, Mapping)
        for key in ("start-time", "end-time")
        if item.get(key)
    ]
    return min(times) if times else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class _Context:
    """What every result of one file shares."""

    compose: str
    file: str
    plan: str | None
    namespace: str | None
    arch: str | None
    log_url: str | None
    run: str
    run_id: str | None
    guests: Mapping[str, Any]
    now: datetime
    fallback: str

    def result(self, item: Checker) -> Result:
        name = item.string("name", required=True)
        assert name is not None
        testcase = to_testcase(self.namespace, name)
        if not testcase:
            raise item.error(f"the test name {name!r} makes no testcase name", "name")
        tmt_result = item.choice("result", OUTCOMES)
        serial = item.integer("serial-number", required=True)
        guest = item.child("guest").string("name")
        plan = item.string("plan") or self.plan
        start, end = item.time("start-time"), item.time("end-time")
        fact = self.guests.get(guest or "")
        arch = fact if isinstance(fact, str) and fact else self.arch
        subresults = [_part(sub, with_event=False) for sub in item.children("subresult")]
        checks = [_part(check, with_event=True) for check in item.children("check")]
        notes = item.strings("note")
        logs = item.strings("log")
        ids = item.mapping("ids")
        stamp = "|".join(str(t) for t in (start, end) if t) or self.fallback
        execution = f"{self.run_id or ''}|{stamp}|{arch or ''}"
        digest = hashlib.sha256(execution.encode()).hexdigest()[:16]
        data: dict[str, Any] = {
            "tmt": {
                "name": name,
                "plan": plan,
                "serial_number": serial,
                "guest": guest,
                "result": tmt_result,
                "original_result": item.string("original-result"),
                "id": ids.get("id") if isinstance(ids.get("id"), str) else None,
                "start_time": start.isoformat() if start else None,
                "end_time": end.isoformat() if end else None,
                "duration": _duration(item.item.get("duration")),
                "log": logs,
                "subresults": subresults,
                "checks": checks,
            }
        }
        values = {
            "compose": self.compose,
            "run": self.run,
            "plan": (plan or "").lstrip("/"),
            "test": name.lstrip("/"),
            "serial": str(serial),
            "guest": guest or "",
            "arch": arch or "",
            "testcase": testcase,
            "log": f"{(plan or '').strip('/')}/execute/{logs[0]}".lstrip("/") if logs else "",
        }
        return Result(
            compose=self.compose,
            testcase=testcase,
            outcome=OUTCOMES[tmt_result],
            submit_time=end or start or self.now,
            id=f"{plan or ''}:{serial}:{guest or ''}:{digest}",
            scenario=plan,
            arch=arch,
            ref_url=self._ref_url(values) or item.string("web-link"),
            note=_note(tmt_result, notes, subresults, checks),
            data=data,
            source=SOURCE,
        )

    def _ref_url(self, values: Mapping[str, str]) -> str | None:
        if not self.log_url:
            return None
        return self.log_url.format_map({k: quote(v, safe="/:@") for k, v in values.items()})


def _part(item: Checker, *, with_event: bool) -> dict[str, Any]:
    """A subresult or a check, as kept in the result's data."""
    name = item.string("name", required=True)
    result = item.choice("result", OUTCOMES)
    part: dict[str, Any] = {"name": name, "result": result, "outcome": OUTCOMES[result].value}
    if with_event:
        part["event"] = item.string("event")
    notes = item.strings("note")
    if notes:
        part["note"] = notes
    return part


def _duration(value: object) -> str | None:
    """tmt writes ``HH:MM:SS`` unquoted, which YAML 1.1 may read as a sexagesimal number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        hours, rest = divmod(value, 3600)
        return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value)


def _note(
    tmt_result: str,
    notes: list[str],
    subresults: list[dict[str, Any]],
    checks: list[dict[str, Any]],
) -> str | None:
    parts = list(notes)
    if tmt_result in ("skip", "warn", "pending"):
        parts.insert(0, f"tmt result: {tmt_result}")
    bad_subs = [f"{s['name']} {s['result']}" for s in subresults if s["result"] not in _FINE]
    if bad_subs:
        parts.append("subresults: " + ", ".join(bad_subs))
    bad_checks = [
        f"{c['name']}{' (' + c['event'] + ')' if c.get('event') else ''} {c['result']}"
        for c in checks
        if c["result"] not in _FINE
    ]
    if bad_checks:
        parts.append("checks: " + ", ".join(bad_checks))
    return "; ".join(parts) or None
