"""The decision engine: compose + policies + results + waivers + now -> Decision.

Pure: no I/O, no clock (``now`` is an argument), no global state. The rules are
DESIGN.md's "Decision semantics"; each is named in a comment where it is applied.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase

from gatekeeper.evaluate.reruns import Rerun, rerun_of, retries_used
from gatekeeper.model import (
    Answer,
    Compose,
    Gate,
    Outcome,
    Policy,
    RerunRequest,
    Result,
    Status,
    Waiver,
)
from gatekeeper.timeutil import format_time

# Precedence when several latest results match one requirement: the worst wins.
_WORST_FIRST = (Status.FAILED, Status.ERRORED, Status.PENDING, Status.PASSED)
_SEVERITY = {Status.PASSED: 0, Status.PENDING: 1, Status.ERRORED: 2, Status.FAILED: 3}
# Per outcome, computed once rather than through Outcome.status for each result.
_OUTCOME_SEVERITY = {outcome: _SEVERITY[outcome.status] for outcome in Outcome}
_WORST_RANK = {outcome: _WORST_FIRST.index(outcome.status) for outcome in Outcome}
_PENDING_RANK = _WORST_FIRST.index(Status.PENDING)

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
    waivers: Sequence[Waiver], testcase: str, scenario: str | None, arch: str | None,
    now: datetime,
) -> tuple[Waiver | None, Waiver | None]:  # fmt: skip
    """The first waiver covering the requirement that still counts, and the first that
    covers it but expired (a waiver without scenario/arch covers all; one with them covers
    only those)."""
    expired = None
    for waiver in waivers:
        if waiver.testcase != testcase:
            continue
        if waiver.scenario is not None and waiver.scenario != scenario:
            continue
        if waiver.arch is not None and waiver.arch != arch:
            continue
        if not waiver.expired(now):
            return waiver, expired
        expired = expired or waiver
    return None, expired


@dataclass(frozen=True, slots=True)
class Excuses:
    """What, besides its results, a testcase's answers depend on: its active waivers, the
    known issues applying to the compose (as waivers) and its rerun requests (oldest
    first)."""

    waivers: Sequence[Waiver] = ()
    known: Sequence[Waiver] = ()
    reruns: Sequence[RerunRequest] = ()


_NONE = Excuses()


def _answers(
    policy: Policy,
    gate: Gate,
    candidates: Sequence[Result],
    excuses: Excuses,
    compose: Compose,
    now: datetime,
) -> Iterator[Answer]:
    """The gate's answers, one per requirement (see :func:`requirements`), in arch order.

    ``candidates`` are the latest results of the gate's testcase, in order of first
    arrival; ``excuses`` the testcase's waivers, known issues and rerun requests.
    """
    reruns: dict[int, Rerun] = {}
    if excuses.reruns or gate.retries:
        for result in candidates:
            rerun = rerun_of(gate, result, excuses.reruns)
            if rerun is not None:
                reruns[id(result)] = rerun
    worst = _worst(candidates, gate.scenario, by_arch=bool(gate.arches), reruns=reruns)
    for arch in gate.arches or (None,):
        found = worst.get(arch)
        rerun = reruns.get(id(found)) if found is not None and reruns else None
        yield _answer(policy, gate, arch, found, rerun, excuses, compose, now)


def _worst(
    candidates: Iterable[Result], scenario: str | None, *, by_arch: bool,
    reruns: Mapping[int, Rerun],
) -> dict[str | None, Result]:  # fmt: skip
    """The worst of the results matching a requirement: of ``scenario`` (any when None),
    per arch when ``by_arch`` (else all under None). A result being run again
    (``reruns``, by ``id``) counts as pending.

    The worst status wins; among equals, the first in the order of :func:`latest_results`
    (scenario, arch, variant, None as ""; then first arrival, as its sort is stable).
    """
    worst: dict[str | None, tuple[tuple[int, str, str, str], Result]] = {}
    for result in candidates:
        if scenario is not None and result.scenario != scenario:
            continue
        arch = result.arch if by_arch else None
        status_rank = _PENDING_RANK if reruns and id(result) in reruns else _WORST_RANK[
            result.outcome]  # fmt: skip
        rank = (status_rank, result.scenario or "", result.arch or "", result.variant or "")
        seen = worst.get(arch)
        if seen is None or rank < seen[0]:
            worst[arch] = (rank, result)
    return {arch: result for arch, (_, result) in worst.items()}


def _answer(
    policy: Policy,
    gate: Gate,
    arch: str | None,
    worst: Result | None,
    rerun: Rerun | None,
    excuses: Excuses,
    compose: Compose,
    now: datetime,
) -> Answer:
    """The answer for one requirement, given the worst result matching it (if any) and
    the rerun it waits on (if any)."""
    status = Status.PENDING if rerun else worst.outcome.status if worst else Status.MISSING
    # An answer names the requirement; an unconstrained part is filled from its result.
    scenario = gate.scenario if gate.scenario is not None else (worst.scenario if worst else None)
    answer_arch = arch if arch is not None else (worst.arch if worst else None)
    kind, satisfied, waiver, why = _judge(status, gate, scenario, answer_arch, excuses,
                                          compose, now)  # fmt: skip
    reasons = [rerun.reason] if rerun else []
    if worst is not None and rerun is None and status == Status.ERRORED and gate.retries:
        used = retries_used(worst, excuses.reruns)
        reasons.append(f"errored after {used} {'retry' if used == 1 else 'retries'}")
    if why:
        reasons.append(why)
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
        waiver_id=waiver.id if waiver is not None and waiver.known_issue is None else None,
        reason="; ".join(reasons) or None,
        bug=waiver.bug if waiver is not None else None,
        expires=format_time(waiver.expires) if waiver is not None and waiver.expires else None,
        known_issue=waiver.known_issue if waiver is not None else None,
        rerun_id=rerun.request.id if rerun is not None and rerun.request is not None else None,
        retry=rerun.retry if rerun is not None else None,
        retries=rerun.retries if rerun is not None else None,
    )


def _judge(
    status: Status,
    gate: Gate,
    scenario: str | None,
    arch: str | None,
    excuses: Excuses,
    compose: Compose,
    now: datetime,
) -> tuple[str, bool, Waiver | None, str | None]:
    """An answer's type, whether it is satisfied, the waiver (or known issue) satisfying
    it, and why a waiver covering it no longer does."""
    if status == Status.PASSED:
        return "test-result-passed", True, None, None
    # Deadlines: missing or pending past the deadline is overdue.
    deadline = gate.deadline
    late = deadline is not None and now > compose.announced_at + deadline
    if status in (Status.MISSING, Status.PENDING) and late:
        if gate.on_missing == "ignore":
            return "test-result-overdue-ignored", True, None, None
        status = Status.OVERDUE
    waiver, expired = _find_waiver(excuses.waivers, gate.testcase, scenario, arch, now)
    # A known issue is a known failure: it excuses failed and errored answers only.
    if waiver is None and status in (Status.FAILED, Status.ERRORED):
        waiver, _ = _find_waiver(excuses.known, gate.testcase, scenario, arch, now)
    why = None
    if expired is not None and expired.expires is not None:
        why = f"waiver {expired.id} expired at {format_time(expired.expires)}"
    if waiver is not None:
        return f"test-result-{status}-waived", True, waiver, why
    return f"test-result-{status}", False, None, why


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
