"""What a compose's answers are made of, read from the store: the latest results, waivers,
known issues and rerun requests of some testcases; the automatic retries a gate's
``retries:`` makes after an ``ERROR``; and the instants waivers and known issues expire
(when a decision changes by itself, besides the gates' deadlines)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from gatekeeper.evaluate import Plan, answer_gates, latest_by_testcase, retries_due
from gatekeeper.model import (
    Answer,
    Compose,
    KnownIssue,
    RerunRequest,
    Result,
    Waiver,
)
from gatekeeper.outbox import Owed
from gatekeeper.store import Tx

RETRY_BY = "gatekeeper"
"""The name automatic rerun requests are made under."""


@dataclass
class Inputs:
    """The latest results (by testcase), waivers, open known issues and rerun requests of
    some testcases of a compose."""

    latest: dict[str, list[Result]]
    waivers: list[Waiver]
    known: list[KnownIssue]
    reruns: list[RerunRequest] = field(default_factory=list)

    def answer(
        self, the_plan: Plan, gate_indexes: Iterable[int], compose: Compose, now: datetime
    ) -> dict[int, Answer]:
        return answer_gates(the_plan, gate_indexes, self.latest, self.waivers, compose, now,
                            known_issues=self.known, reruns=self.reruns)  # fmt: skip


def read_inputs(tx: Tx, compose: Compose, testcases: Collection[str] | None,
                the_plan: Plan, now: datetime) -> Inputs:  # fmt: skip
    """The inputs of ``testcases`` (None: every testcase the plan gates) at ``now``."""
    wanted = the_plan.testcases if testcases is None else testcases
    return Inputs(
        latest=latest_by_testcase(compose.id, tx.latest_results(compose.id, wanted)),
        waivers=tx.waivers_for(compose.id, testcases=testcases),
        known=tx.known_issues(testcases=wanted, include_closed=False, live_after=now),
        reruns=tx.reruns_for(compose.id, testcases=testcases),
    )


def request_retries(
    tx: Tx, compose: Compose, the_plan: Plan, inputs: Inputs, gate_indexes: Iterable[int],
    now: datetime, owed: Owed,
) -> list[RerunRequest]:  # fmt: skip
    """Make the automatic rerun requests due among these gates (an ``ERROR`` of a gate with
    ``retries:`` left, not retried yet), one per result key, owing
    ``gatekeeper_rerun_requested`` for each; they are added to ``inputs``."""
    made: list[RerunRequest] = []
    keys = set()
    for index in gate_indexes:
        _, gate, _ = the_plan.gates[index]
        if not gate.retries:
            continue
        own = [r for r in inputs.reruns if r.testcase == gate.testcase]
        for result, retry in retries_due(gate, inputs.latest.get(gate.testcase, ()), own):
            if result.key in keys:
                continue
            keys.add(result.key)
            request = tx.add_rerun(RerunRequest(
                id="", compose=compose.id, testcase=result.testcase, time=now,
                after=max(now, result.submit_time), username=RETRY_BY,
                scenario=result.scenario, arch=result.arch, variant=result.variant,
                reason=f"automatic retry {retry} of {gate.retries} after ERROR "
                       f"(result {result.id})",
                automatic=True, retry=retry, retries=gate.retries,
            ))  # fmt: skip
            owed.add(tx, "gatekeeper_rerun_requested", compose, request=request)
            made.append(request)
    inputs.reruns.extend(made)
    return made


def expiries(
    tx: Tx, composes: Collection[Compose], after: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, list[tuple[datetime, str]]]:  # fmt: skip
    """The instants the waivers and open known issues of these composes expire (after
    ``after`` and by ``until``, when given: the others are of no use to the caller), with
    their testcases, by compose id."""
    found = tx.waiver_expiries([c.id for c in composes], after, until)
    issues = tx.known_issues(include_closed=False, live_after=after, expiring=True,
                             expiring_by=until)  # fmt: skip
    for compose in composes:
        for issue in issues:
            if fnmatchcase(compose.product, issue.product):
                assert issue.expires is not None
                found.setdefault(compose.id, []).append((issue.expires, issue.testcase))
    return found


def expired_between(
    instants: Iterable[tuple[datetime, str]], then: datetime, now: datetime
) -> set[str]:
    """The testcases of the expiries that passed after ``then`` and by ``now`` (something
    expiring at ``e`` no longer counts from ``e`` on)."""
    low, high = min(then, now), max(then, now)
    return {testcase for instant, testcase in instants if low < instant <= high}


def known_issues_used(answers: Mapping[int, Answer]) -> set[str]:
    return {a.known_issue for a in answers.values() if a.known_issue is not None}
