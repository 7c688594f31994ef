"""A compose's requirements, numbered: answering some of them, putting a decision
together from its answers, and :func:`evaluate` (all of them at once)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate.engine import (
    _NONE,
    Excuses,
    _answers,
    _applicable,
    _latest_by_testcase,
    active_waivers,
)
from gatekeeper.evaluate.tally import Tally, summary_of, tally, verdict_of_tally
from gatekeeper.model import (
    Answer,
    Compose,
    Decision,
    Gate,
    KnownIssue,
    Policy,
    RerunRequest,
    Result,
    Waiver,
)


@dataclass(frozen=True)
class Plan:
    """The requirements of the policies applying to one compose, numbered: requirement
    ``n`` (its *ordinal*) is the n-th of :func:`requirements` over the applicable policies.
    An answer keeps its requirement's ordinal, so a stored decision can be changed answer
    by answer (:func:`answer_gates`) and put together again (:func:`assemble`)."""

    applicable: tuple[Policy, ...]
    gates: tuple[tuple[Policy, Gate, int], ...]  # each gate with its first ordinal
    size: int  # the number of requirements
    digest: str  # what the answers depend on: a stored state of another digest is stale
    testcases: frozenset[str]  # the gated ones
    by_testcase: Mapping[str, tuple[int, ...]]  # each gated testcase's gates (their indexes)
    waits: tuple[tuple[timedelta, str], ...]  # each deadline and its testcase, soonest first

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.team for p in self.applicable)

    def gates_of(self, testcases: Collection[str]) -> list[int]:
        """The indexes (in :attr:`gates`) of the gates of these testcases, in order."""
        return sorted(i for testcase in testcases for i in self.by_testcase.get(testcase, ()))

    def deadlines(self, announced_at: datetime) -> list[tuple[datetime, str]]:
        """Each gate's deadline instant and testcase, earliest first."""
        return [(announced_at + wait, testcase) for wait, testcase in self.waits]

    def crossed(self, announced_at: datetime, then: datetime, now: datetime) -> set[str]:
        """The testcases of the gates whose lateness differs between ``then`` and ``now``
        (a gate is late when the time is after its instant)."""
        low, high = min(then, now), max(then, now)
        return {testcase for instant, testcase in self.deadlines(announced_at)
                if low <= instant < high}  # fmt: skip


def plan(compose: Compose, policies: Iterable[Policy]) -> Plan:
    """The numbered requirements of the compose. Raises NoPolicyApplies when no policy
    gates it (fail closed)."""
    applicable = _applicable(compose, policies)
    if not applicable:
        raise NoPolicyApplies(
            f"no policy applies to product {compose.product!r} and type {compose.type!r}: "
            "the compose is not gated (add it to a policy's applies_to)",
            key=compose.id,
        )
    gates: list[tuple[Policy, Gate, int]] = []
    ordinal = 0
    for policy in applicable:
        for gate in policy.gates:
            gates.append((policy, gate, ordinal))
            ordinal += len(gate.arches) or 1
    shape = repr([(p.team, [(g.testcase, g.arches, g.scenario, g.required, g.deadline,
                             g.on_missing, g.retries) for g in p.gates])
                  for p in applicable])  # fmt: skip
    digest = hashlib.sha256(shape.encode()).hexdigest()[:32]
    by_testcase: dict[str, list[int]] = {}
    for index, (_, gate, _) in enumerate(gates):
        by_testcase.setdefault(gate.testcase, []).append(index)
    waits = sorted((g.deadline, g.testcase) for _, g, _ in gates if g.deadline is not None)
    return Plan(tuple(applicable), tuple(gates), ordinal, digest, frozenset(by_testcase),
                {k: tuple(v) for k, v in by_testcase.items()}, tuple(waits))  # fmt: skip


def answer_gates(
    the_plan: Plan,
    gate_indexes: Iterable[int],
    latest: Mapping[str, Sequence[Result]],
    waivers: Iterable[Waiver],
    compose: Compose,
    now: datetime,
    *,
    known_issues: Iterable[KnownIssue] = (),
    reruns: Iterable[RerunRequest] = (),
) -> dict[int, Answer]:
    """The answers of some gates of the plan, by ordinal: ``latest`` holds the latest
    results of (at least) their testcases, ``waivers`` every waiver of them,
    ``known_issues`` those that may apply to the compose and ``reruns`` the rerun requests
    of (at least) those testcases."""
    excuses = _excuses(compose, now, waivers, known_issues, reruns)
    out: dict[int, Answer] = {}
    for index in gate_indexes:
        policy, gate, first = the_plan.gates[index]
        answers = _answers(policy, gate, latest.get(gate.testcase, ()),
                           excuses.get(gate.testcase, _NONE), compose, now)  # fmt: skip
        for offset, answer in enumerate(answers):
            out[first + offset] = answer
    return out


def _excuses(
    compose: Compose, now: datetime, waivers: Iterable[Waiver],
    known_issues: Iterable[KnownIssue], reruns: Iterable[RerunRequest],
) -> dict[str, Excuses]:  # fmt: skip
    """Each testcase's waivers, applying known issues and rerun requests (oldest first)."""
    found: dict[str, tuple[list[Waiver], list[Waiver], list[RerunRequest]]] = {}
    for waiver in active_waivers(compose.id, waivers):
        found.setdefault(waiver.testcase, ([], [], []))[0].append(waiver)
    for issue in sorted(known_issues, key=lambda k: (k.created_at, k.id)):
        if issue.applies(compose.product, now):
            found.setdefault(issue.testcase, ([], [], []))[1].append(issue.as_waiver(compose.id))
    for request in sorted(reruns, key=lambda r: (r.time, r.id)):
        if request.compose == compose.id:
            found.setdefault(request.testcase, ([], [], []))[2].append(request)
    return {testcase: Excuses(*parts) for testcase, parts in found.items()}


def assemble(
    compose_id: str,
    names: Sequence[str],
    answers: Mapping[int, Answer],
    now: datetime,
    counts: Tally | None = None,
) -> Decision:
    """The decision made of these answers (by ordinal): sorted by team, testcase, scenario,
    arch and variant (equal ones in requirement order), the verdict and summary derived
    from their tally (``counts``, when the caller keeps it)."""
    ordered = [answers[n] for n in _in_order(answers)]
    counts = tally(ordered) if counts is None else counts
    return Decision(
        compose=compose_id,
        verdict=verdict_of_tally(counts),
        summary=summary_of(counts),
        applicable_policies=tuple(names),
        answers=tuple(ordered),
        evaluated_at=now,
    )


def _in_order(answers: Mapping[int, Answer]) -> list[int]:
    return sorted(answers, key=lambda n: (_answer_order(answers[n]), n))


def payload_order(answers: Mapping[int, Answer]) -> list[int]:
    """The ordinals of the answers in the order of the decision's JSON: the satisfied
    requirements, then the unsatisfied ones, each as :func:`assemble` orders them."""
    ordered = _in_order(answers)
    return [n for n in ordered if answers[n].is_satisfied] + [
        n for n in ordered if not answers[n].is_satisfied
    ]


def latest_by_testcase(compose_id: str, results: Iterable[Result]) -> dict[str, list[Result]]:
    """The latest result of each key, by testcase (each testcase's in order of arrival)."""
    return _latest_by_testcase(compose_id, results, None)


def _answer_order(a: Answer) -> tuple[str, str, str, str, str]:
    return (a.team, a.testcase, a.scenario or "", a.arch or "", a.variant or "")


def evaluate(
    compose: Compose,
    policies: Sequence[Policy],
    results: Iterable[Result],
    waivers: Iterable[Waiver],
    now: datetime,
    *,
    known_issues: Iterable[KnownIssue] = (),
    reruns: Iterable[RerunRequest] = (),
) -> Decision:
    """Decide one compose. Raises NoPolicyApplies when no policy gates it (fail closed)."""
    the_plan = plan(compose, policies)
    by_testcase = _latest_by_testcase(compose.id, results, the_plan.testcases)
    answers = answer_gates(the_plan, range(len(the_plan.gates)), by_testcase, waivers,
                           compose, now, known_issues=known_issues, reruns=reruns)  # fmt: skip
    return assemble(compose.id, the_plan.names, answers, now)
