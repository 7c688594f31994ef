"""The decision engine: compose + policies + results + waivers + now -> Decision.

Pure: no I/O, no clock (``now`` is an argument), no global state. The rules are
DESIGN.md's "Decision semantics"; each is named in a comment where it is applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.model import (
    FAILED,
    PASSED,
    PENDING,
    Answer,
    Compose,
    Decision,
    Gate,
    Outcome,
    Policy,
    Result,
    Status,
    Verdict,
    Waiver,
)

# Precedence when several latest results match one requirement: the worst wins.
_WORST_FIRST = (Status.FAILED, Status.ERRORED, Status.PENDING, Status.PASSED)
_SEVERITY = {Status.PASSED: 0, Status.PENDING: 1, Status.ERRORED: 2, Status.FAILED: 3}
# Per outcome, computed once rather than through Outcome.status for each result.
_OUTCOME_SEVERITY = {outcome: _SEVERITY[outcome.status] for outcome in Outcome}
_WORST_RANK = {outcome: _WORST_FIRST.index(outcome.status) for outcome in Outcome}
_UNSATISFIED_ORDER = (
    (Status.MISSING, "result missing", "results missing"),
    (Status.PENDING, "test pending", "tests pending"),
    (Status.ERRORED, "test errored", "tests errored"),
    (Status.FAILED, "test failed", "tests failed"),
    (Status.OVERDUE, "test overdue", "tests overdue"),
)

Requirement = tuple[Policy, Gate, str | None]
_Key = tuple[str, str | None, str | None, str | None]  # testcase, scenario, arch, variant


def policy_applies(policy: Policy, product: str, compose_type: str) -> bool:
    """Lists OR, keys AND, fnmatch globs; an empty key matches any compose."""
    rule = policy.applies_to
    products_ok = not rule.products or any(fnmatchcase(product, g) for g in rule.products)
    types_ok = not rule.types or any(fnmatchcase(compose_type, g) for g in rule.types)
    return products_ok and types_ok


def _result_order(result: Result) -> tuple[object, ...]:
    """Submit time, then id (numeric ids numerically), then the worse outcome: a total
    order, so arrival order never matters and an exact tie fails closed."""
    return (
        result.submit_time,
        _id_key(result.id),
        _OUTCOME_SEVERITY[result.outcome],
        result.outcome.value,
        result.ref_url or "",
        result.note or "",
        result.reporter or "",
        result.source or "",
    )


def latest_results(compose_id: str, results: Iterable[Result]) -> dict[str, list[Result]]:
    """The latest result per key (compose, testcase, scenario, arch, variant), by testcase.

    Testcases in order, each one's results by scenario, arch and variant (None as "").
    """
    by_testcase = _latest_by_testcase(compose_id, results, None)
    return {
        testcase: sorted(by_testcase[testcase], key=_order_in_testcase)
        for testcase in sorted(by_testcase)
    }


def _order_in_testcase(result: Result) -> tuple[str, str, str]:
    return (result.scenario or "", result.arch or "", result.variant or "")


def _latest_by_testcase(
    compose_id: str, results: Iterable[Result], testcases: Collection[str] | None
) -> dict[str, list[Result]]:
    """:func:`latest_results` unsorted (each testcase's results in order of first arrival),
    and only for ``testcases`` when given."""
    # The hot loop of a decision, once per result: _result_order starts with the
    # submit time, so the rest of it is only looked at when two submit times are equal.
    latest: dict[_Key, Result] = {}
    for result in results:
        if result.compose != compose_id or (
            testcases is not None and result.testcase not in testcases
        ):
            continue
        key = (result.testcase, result.scenario, result.arch, result.variant)
        seen = latest.get(key)
        if (
            seen is None
            or result.submit_time > seen.submit_time
            or (result.submit_time == seen.submit_time and _supersedes(result, seen))
        ):
            latest[key] = result
    by_testcase: dict[str, list[Result]] = {}
    for result in latest.values():
        by_testcase.setdefault(result.testcase, []).append(result)
    return by_testcase


def _supersedes(result: Result, seen: Result) -> bool:
    """Whether ``result`` comes after ``seen`` in :func:`_result_order`, given equal submit
    times: the ids decide, unless they are equal too."""
    mine, theirs = _id_key(result.id), _id_key(seen.id)
    if mine != theirs:
        return mine > theirs
    return _result_order(result) > _result_order(seen)


def active_waivers(compose_id: str, waivers: Iterable[Waiver]) -> list[Waiver]:
    """The latest waiver per (testcase, scenario, arch); revocations drop out."""
    latest: dict[tuple[str, str, str | None, str | None], Waiver] = {}
    for waiver in waivers:
        if waiver.compose != compose_id:
            continue
        seen = latest.get(waiver.key)
        if seen is None or (waiver.time, _id_key(waiver.id)) > (seen.time, _id_key(seen.id)):
            latest[waiver.key] = waiver
    return [w for _, w in sorted(latest.items(), key=lambda kv: _id_key(kv[1].id)) if w.waived]


def _id_key(value: str | None) -> tuple[int, int, str]:
    """None first, then numeric ids numerically, then the others."""
    if value is None:
        return (-1, 0, "")
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _find_waiver(
    waivers: Sequence[Waiver], testcase: str, scenario: str | None, arch: str | None
) -> Waiver | None:
    """A waiver without scenario/arch covers all; one with them covers only those."""
    for waiver in waivers:
        if waiver.testcase != testcase:
            continue
        if waiver.scenario is not None and waiver.scenario != scenario:
            continue
        if waiver.arch is not None and waiver.arch != arch:
            continue
        return waiver
    return None


def _answers(
    policy: Policy,
    gate: Gate,
    candidates: Sequence[Result],
    waivers: Sequence[Waiver],
    compose: Compose,
    now: datetime,
) -> Iterator[Answer]:
    """The gate's answers, one per requirement (see :func:`requirements`), in arch order.

    ``candidates`` are the latest results of the gate's testcase, in order of first
    arrival; ``waivers`` the testcase's active waivers.
    """
    worst = _worst(candidates, gate.scenario, by_arch=bool(gate.arches))
    for arch in gate.arches or (None,):
        yield _answer(policy, gate, arch, worst.get(arch), waivers, compose, now)


def _worst(
    candidates: Iterable[Result], scenario: str | None, *, by_arch: bool
) -> dict[str | None, Result]:
    """The worst of the results matching a requirement: of ``scenario`` (any when None),
    per arch when ``by_arch`` (else all under None).

    The worst status wins; among equals, the first in the order of :func:`latest_results`
    (scenario, arch, variant, None as ""; then first arrival, as its sort is stable).
    """
    worst: dict[str | None, tuple[tuple[int, str, str, str], Result]] = {}
    for result in candidates:
        if scenario is not None and result.scenario != scenario:
            continue
        arch = result.arch if by_arch else None
        rank = (
            _WORST_RANK[result.outcome],
            result.scenario or "",
            result.arch or "",
            result.variant or "",
        )
        seen = worst.get(arch)
        if seen is None or rank < seen[0]:
            worst[arch] = (rank, result)
    return {arch: result for arch, (_, result) in worst.items()}


def _answer(
    policy: Policy,
    gate: Gate,
    arch: str | None,
    worst: Result | None,
    waivers: Sequence[Waiver],
    compose: Compose,
    now: datetime,
) -> Answer:
    """The answer for one requirement, given the worst result matching it (if any)."""
    status = worst.outcome.status if worst else Status.MISSING
    # An answer names the requirement; an unconstrained part is filled from its result.
    scenario = gate.scenario if gate.scenario is not None else (worst.scenario if worst else None)
    answer_arch = arch if arch is not None else (worst.arch if worst else None)
    kind, satisfied, waiver_id = _judge(status, gate, scenario, answer_arch, waivers, compose, now)
    return Answer(
        type=kind,
        is_satisfied=satisfied,
        team=policy.team,
        testcase=gate.testcase,
        required=gate.required,
        scenario=scenario,
        arch=answer_arch,
        variant=worst.variant if worst else None,
        result_id=worst.id if worst else None,
        ref_url=worst.ref_url if worst else None,
        waiver_id=waiver_id,
    )


def _judge(
    status: Status,
    gate: Gate,
    scenario: str | None,
    arch: str | None,
    waivers: Sequence[Waiver],
    compose: Compose,
    now: datetime,
) -> tuple[str, bool, str | None]:
    """An answer's type, whether it is satisfied, and the waiver satisfying it."""
    if status == Status.PASSED:
        return "test-result-passed", True, None
    # Deadlines: missing or pending past the deadline is overdue.
    deadline = gate.deadline
    late = deadline is not None and now > compose.announced_at + deadline
    if status in (Status.MISSING, Status.PENDING) and late:
        if gate.on_missing == "ignore":
            return "test-result-overdue-ignored", True, None
        status = Status.OVERDUE
    waiver = _find_waiver(waivers, gate.testcase, scenario, arch)
    if waiver is not None:
        return f"test-result-{status}-waived", True, waiver.id
    return f"test-result-{status}", False, None


_STATUSES = {status.value: status for status in Status}


def _status_of(answer: Answer) -> Status:
    return _STATUSES[answer.type.removeprefix("test-result-").split("-")[0]]


@dataclass(frozen=True, slots=True)
class Tally:
    """What the verdict and the summary derive from: the number of required answers, and
    of the unsatisfied ones by status. Kept with a stored decision, so a change of a few
    answers updates it without looking at the others."""

    required: int = 0
    unsatisfied: tuple[tuple[Status, int], ...] = ()

    def count(self, status: Status) -> int:
        return dict(self.unsatisfied).get(status, 0)

    def moved(self, old: Iterable[Answer], new: Iterable[Answer]) -> Tally:
        """The tally with the answers ``old`` replaced by ``new``."""
        required = self.required
        counts = dict(self.unsatisfied)
        for sign, answers in ((-1, old), (1, new)):
            for answer in answers:
                if not answer.required:
                    continue
                required += sign
                if not answer.is_satisfied:
                    status = _status_of(answer)
                    counts[status] = counts.get(status, 0) + sign
        return Tally(required, _counted(counts))

    def to_json(self) -> dict[str, Any]:
        return {"required": self.required,
                "unsatisfied": {str(status): n for status, n in self.unsatisfied}}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tally:
        counts = {Status(name): int(n) for name, n in data.get("unsatisfied", {}).items()}
        return cls(int(data["required"]), _counted(counts))


@dataclass(frozen=True)
class DecisionState:
    """What a compose's stored decision is besides its answers: the plan's digest it was
    made for, the applicable policies' names, the tally, when its latest version was
    evaluated, the time up to which its answers are known true (``valid_at``: deadlines
    passed after it are not in them yet) and how many changes since the last snapshot."""

    digest: str
    names: tuple[str, ...]
    counts: Tally
    evaluated_at: datetime
    valid_at: datetime
    since_snapshot: int = 0
    amended: int = 0  # times answers came to name newer results without a new version

    @property
    def verdict(self) -> Verdict:
        return verdict_of_tally(self.counts)

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "names": list(self.names), "tally": self.counts.to_json(),
                "evaluated_at": self.evaluated_at.isoformat(),
                "valid_at": self.valid_at.isoformat(),
                "since_snapshot": self.since_snapshot, "amended": self.amended}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionState:
        return cls(
            digest=str(data["digest"]),
            names=tuple(data["names"]),
            counts=Tally.from_json(data["tally"]),
            evaluated_at=datetime.fromisoformat(data["evaluated_at"]),
            valid_at=datetime.fromisoformat(data["valid_at"]),
            since_snapshot=int(data.get("since_snapshot", 0)),
            amended=int(data.get("amended", 0)),
        )


def _counted(counts: Mapping[Status, int]) -> tuple[tuple[Status, int], ...]:
    order = [status for status, _, _ in _UNSATISFIED_ORDER]
    return tuple((s, counts[s]) for s in sorted(counts, key=order.index) if counts[s])


def tally(answers: Iterable[Answer]) -> Tally:
    return Tally().moved((), answers)


def summarize(answers: Sequence[Answer]) -> str:
    """Greenwave's summary text, derived from the required answers."""
    return summary_of(tally(answers))


def summary_of(counts: Tally) -> str:
    """Greenwave's summary text, from the tally of the required answers."""
    total = counts.required
    if not total:
        return "No tests are required"
    if not counts.unsatisfied:
        return f"All required tests ({total} total) have passed or been waived"
    parts = [
        f"{counts.count(status)} {one if counts.count(status) == 1 else many}"
        for status, one, many in _UNSATISFIED_ORDER
        if counts.count(status)
    ]
    noun = "test" if total == 1 else "tests"
    return f"Of {total} required {noun}, " + ", ".join(parts)


def verdict_of(answers: Sequence[Answer]) -> Verdict:
    """failed if a required answer failed, errored or is overdue; else pending if one is
    missing or pending; else passed. Informational answers never count."""
    return verdict_of_tally(tally(answers))


def verdict_of_tally(counts: Tally) -> Verdict:
    """:func:`verdict_of`, from the tally of the required answers."""
    statuses = {status for status, _ in counts.unsatisfied}
    if statuses & {Status.FAILED, Status.ERRORED, Status.OVERDUE}:
        return FAILED
    if statuses & {Status.MISSING, Status.PENDING}:
        return PENDING
    return PASSED


def requirements(policies: Iterable[Policy]) -> list[Requirement]:
    """One requirement per gate and listed arch (one arch-free one when none is listed)."""
    out: list[Requirement] = []
    for policy in policies:
        for gate in policy.gates:
            for arch in gate.arches or (None,):
                out.append((policy, gate, arch))
    return out


def gated_testcases(compose: Compose, policies: Iterable[Policy]) -> set[str]:
    """The testcases the policies applying to the compose gate: :func:`evaluate` reads the
    results of these testcases only (so a caller may leave the others out)."""
    return _gated(_applicable(compose, policies))


def _applicable(compose: Compose, policies: Iterable[Policy]) -> list[Policy]:
    return sorted(
        (p for p in policies if policy_applies(p, compose.product, compose.type)),
        key=lambda p: p.team,
    )


def _gated(applicable: Iterable[Policy]) -> set[str]:
    return {gate.testcase for policy in applicable for gate in policy.gates}


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
                             g.on_missing) for g in p.gates]) for p in applicable])  # fmt: skip
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
) -> dict[int, Answer]:
    """The answers of some gates of the plan, by ordinal: ``latest`` holds the latest
    results of (at least) their testcases, ``waivers`` every waiver of them."""
    waivers_of: dict[str, list[Waiver]] = {}
    for waiver in active_waivers(compose.id, waivers):
        waivers_of.setdefault(waiver.testcase, []).append(waiver)
    out: dict[int, Answer] = {}
    for index in gate_indexes:
        policy, gate, first = the_plan.gates[index]
        answers = _answers(policy, gate, latest.get(gate.testcase, ()),
                           waivers_of.get(gate.testcase, ()), compose, now)  # fmt: skip
        for offset, answer in enumerate(answers):
            out[first + offset] = answer
    return out


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
) -> Decision:
    """Decide one compose. Raises NoPolicyApplies when no policy gates it (fail closed)."""
    the_plan = plan(compose, policies)
    by_testcase = _latest_by_testcase(compose.id, results, the_plan.testcases)
    answers = answer_gates(the_plan, range(len(the_plan.gates)), by_testcase, waivers,
                           compose, now)  # fmt: skip
    return assemble(compose.id, the_plan.names, answers, now)
