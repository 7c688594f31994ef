"""The decision engine: compose + policies + results + waivers + now -> Decision.

Pure: no I/O, no clock (``now`` is an argument), no global state. The rules are
DESIGN.md's "Decision semantics"; each is named in a comment where it is applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from fnmatch import fnmatchcase

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.model import (
    FAILED,
    PASSED,
    PENDING,
    Answer,
    Compose,
    Decision,
    Gate,
    Policy,
    Result,
    Waiver,
)

# Precedence when several latest results match one requirement: the worst wins.
_WORST_FIRST = ("failed", "errored", "pending", "passed")
_SEVERITY = {"passed": 0, "pending": 1, "errored": 2, "failed": 3}
_UNSATISFIED_ORDER = (
    ("missing", "result missing", "results missing"),
    ("pending", "test pending", "tests pending"),
    ("errored", "test errored", "tests errored"),
    ("failed", "test failed", "tests failed"),
    ("overdue", "test overdue", "tests overdue"),
)

Requirement = tuple[Policy, Gate, str | None]


def policy_applies(policy: Policy, product: str, compose_type: str) -> bool:
    """Lists OR, keys AND, fnmatch globs; an empty key matches any compose."""
    rule = policy.applies_to
    products_ok = not rule.products or any(fnmatchcase(product, g) for g in rule.products)
    types_ok = not rule.types or any(fnmatchcase(compose_type, g) for g in rule.types)
    return products_ok and types_ok


def _result_order(result: Result) -> tuple[object, ...]:
    """Submit time, then id (numeric ids numerically), then the worse outcome: a total
    order, so arrival order never matters and an exact tie fails closed."""
    rid = result.id
    if rid is None:
        id_key: tuple[int, int, str] = (-1, 0, "")
    elif rid.isdigit():
        id_key = (0, int(rid), "")
    else:
        id_key = (1, 0, rid)
    return (
        result.submit_time,
        id_key,
        _SEVERITY[result.outcome.status],
        result.outcome.value,
        result.ref_url or "",
        result.note or "",
        result.reporter or "",
        result.source or "",
    )


def latest_results(compose_id: str, results: Iterable[Result]) -> dict[str, list[Result]]:
    """The latest result per key (compose, testcase, scenario, arch, variant), by testcase."""
    latest: dict[tuple[str, str, str | None, str | None, str | None], Result] = {}
    for result in results:
        if result.compose != compose_id:
            continue
        seen = latest.get(result.key)
        if seen is None or _result_order(result) > _result_order(seen):
            latest[result.key] = result
    by_testcase: dict[str, list[Result]] = {}
    for key in sorted(latest, key=lambda k: tuple(p or "" for p in k)):
        by_testcase.setdefault(key[1], []).append(latest[key])
    return by_testcase


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


def _id_key(value: str) -> tuple[int, int, str]:
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


def _matches(gate: Gate, arch: str | None, result: Result) -> bool:
    if gate.scenario is not None and result.scenario != gate.scenario:
        return False
    return arch is None or result.arch == arch


def _answer(
    policy: Policy,
    gate: Gate,
    arch: str | None,
    candidates: Sequence[Result],
    waivers: Sequence[Waiver],
    compose: Compose,
    now: datetime,
) -> Answer:
    matching = [r for r in candidates if _matches(gate, arch, r)]
    worst: Result | None = None
    if matching:
        worst = min(matching, key=lambda r: _WORST_FIRST.index(r.outcome.status))
        status = worst.outcome.status
    else:
        status = "missing"
    # An answer names the requirement; an unconstrained part is filled from its result.
    scenario = gate.scenario if gate.scenario is not None else (worst.scenario if worst else None)
    answer_arch = arch if arch is not None else (worst.arch if worst else None)
    base = Answer(
        type="test-result-missing",
        is_satisfied=False,
        team=policy.team,
        testcase=gate.testcase,
        required=gate.required,
        scenario=scenario,
        arch=answer_arch,
        variant=worst.variant if worst else None,
        result_id=worst.id if worst else None,
        ref_url=worst.ref_url if worst else None,
    )
    if status == "passed":
        return replace(base, type="test-result-passed", is_satisfied=True)
    # Deadlines: missing or pending past the deadline is overdue.
    if status in ("missing", "pending") and gate.deadline is not None:
        if now > compose.announced_at + gate.deadline:
            if gate.on_missing == "ignore":
                return replace(base, type="test-result-overdue-ignored", is_satisfied=True)
            status = "overdue"
    waiver = _find_waiver(waivers, gate.testcase, scenario, answer_arch)
    if waiver is not None:
        return replace(
            base, type=f"test-result-{status}-waived", is_satisfied=True, waiver_id=waiver.id
        )
    return replace(base, type=f"test-result-{status}")


def _status_of(answer: Answer) -> str:
    return answer.type.removeprefix("test-result-").split("-")[0]


def summarize(answers: Sequence[Answer]) -> str:
    """Greenwave's summary text, derived from the required answers."""
    required = [a for a in answers if a.required]
    if not required:
        return "No tests are required"
    unsatisfied = [a for a in required if not a.is_satisfied]
    total = len(required)
    if not unsatisfied:
        return f"All required tests ({total} total) have passed or been waived"
    counts = {status: 0 for status, _, _ in _UNSATISFIED_ORDER}
    for answer in unsatisfied:
        counts[_status_of(answer)] += 1
    parts = [
        f"{counts[status]} {one if counts[status] == 1 else many}"
        for status, one, many in _UNSATISFIED_ORDER
        if counts[status]
    ]
    noun = "test" if total == 1 else "tests"
    return f"Of {total} required {noun}, " + ", ".join(parts)


def verdict_of(answers: Sequence[Answer]) -> str:
    """failed if a required answer failed, errored or is overdue; else pending if one is
    missing or pending; else passed. Informational answers never count."""
    statuses = {_status_of(a) for a in answers if a.required and not a.is_satisfied}
    if statuses & {"failed", "errored", "overdue"}:
        return FAILED
    if statuses & {"missing", "pending"}:
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


def evaluate(
    compose: Compose,
    policies: Sequence[Policy],
    results: Iterable[Result],
    waivers: Iterable[Waiver],
    now: datetime,
) -> Decision:
    """Decide one compose. Raises NoPolicyApplies when no policy gates it (fail closed)."""
    applicable = sorted(
        (p for p in policies if policy_applies(p, compose.product, compose.type)),
        key=lambda p: p.team,
    )
    if not applicable:
        raise NoPolicyApplies(
            f"no policy applies to product {compose.product!r} and type {compose.type!r}: "
            "the compose is not gated (add it to a policy's applies_to)",
            key=compose.id,
        )
    by_testcase = latest_results(compose.id, results)
    active = active_waivers(compose.id, waivers)
    answers = [
        _answer(policy, gate, arch, by_testcase.get(gate.testcase, ()), active, compose, now)
        for policy, gate, arch in requirements(applicable)
    ]
    answers.sort(
        key=lambda a: (a.team, a.testcase, a.scenario or "", a.arch or "", a.variant or "")
    )
    names = tuple(p.team for p in applicable)
    return Decision(
        compose=compose.id,
        verdict=verdict_of(answers),
        summary=summarize(answers),
        applicable_policies=names,
        answers=tuple(answers),
        evaluated_at=now,
    )
