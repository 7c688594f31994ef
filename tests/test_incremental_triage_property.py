"""The incremental decisions stay the engine's with #17's inputs too: waivers that expire,
known issues (added, expiring, closed), rerun requests, and a gate's ``retries:`` after an
``ERROR`` (the automatic requests a report makes).

The state machine of :mod:`test_incremental_property`, with these steps added and the
engine given the known issues and rerun requests stored. An expiry at ``e`` counts as an
instant at which the decision may change like a deadline at ``e - 1 µs`` (a gate is late
once the time is after its deadline; a waiver no longer counts from its expiry on), so the
machine's checks of staleness and of ``next_deadline`` cover expiries as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule
from test_incremental_property import (
    ARCHES,
    CID,
    GATED,
    POLICIES,
    RELENG,
    SCENARIOS,
    UNGATED,
    IncrementalDecisions,
    content,
    run_machine,
)

from gatekeeper.evaluate import evaluate
from gatekeeper.testing import require_postgres

EXPIRIES = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2, minutes=30))
JUST_BEFORE = timedelta(microseconds=1)

# alpha.smoke is retried twice after an ERROR (two arches: one retry count per key)
TRIAGE_POLICIES = {
    **POLICIES,
    "alpha": POLICIES["alpha"].replace(
        "    arches: [x86_64, aarch64]\n", "    arches: [x86_64, aarch64]\n    retries: 2\n", 1
    ),
}


class TriageDecisions(IncrementalDecisions):
    policies = TRIAGE_POLICIES

    def full(self, at: datetime | None = None) -> dict[str, Any]:
        """The pure engine over every stored result, waiver, known issue and rerun request."""
        if self.inputs is None:
            app = self.app
            self.inputs = (app.compose(CID), app.policies, app.results(CID), app.waivers(CID))
            self.extra = (
                [use.issue for use in app.triage.known_issues()],
                app.triage.reruns(CID),
            )
        known, reruns = self.extra
        return content(evaluate(*self.inputs, self.now if at is None else at,
                                known_issues=known, reruns=reruns))  # fmt: skip

    def _expiring(self, instant: datetime | None) -> None:
        if instant is not None and instant - JUST_BEFORE not in self.instants:
            self.instants = sorted({*self.instants, instant - JUST_BEFORE})

    @rule(
        testcase=st.sampled_from((*GATED, UNGATED)),
        scenario=st.sampled_from(SCENARIOS),
        arch=st.sampled_from(ARCHES),
        expires=st.sampled_from(EXPIRIES),
    )
    def waive_for_a_while(
        self, testcase: str, scenario: str | None, arch: str | None, expires: timedelta
    ) -> None:
        waiver, decision = self.app.waive(
            CID, testcase, actor=RELENG, comment="for a while", scenario=scenario, arch=arch,
            expires=f"{int(expires.total_seconds())}s", bug="https://bugs.example/1",
        )  # fmt: skip
        self._expiring(waiver.expires)
        self.inputs = None
        assert self.seen_versions() in (0, 1)
        self.recorded()
        assert content(decision) == self.full()

    @rule(
        testcase=st.sampled_from(GATED),
        arch=st.sampled_from(ARCHES),
        expires=st.none() | st.sampled_from(EXPIRIES),
    )
    def known_issue(self, testcase: str, arch: str | None, expires: timedelta | None) -> None:
        until = None if expires is None else f"{int(expires.total_seconds())}s"
        issue = self.app.triage.add_known_issue(
            RELENG, product="CentOS-Stream-*", testcase=testcase, bug="https://bugs.example/2",
            comment="known", expires=until, arch=arch,
        )  # fmt: skip
        self._expiring(issue.expires)
        self.inputs = None
        assert self.seen_versions() in (0, 1)
        self.recorded()

    @rule(index=st.integers(0, 10))
    def close_known_issue(self, index: int) -> None:
        issues = [use.issue for use in self.app.triage.known_issues(include_closed=False)]
        if not issues:
            return
        self.app.triage.close_known_issue(RELENG, issues[index % len(issues)].id)
        self.inputs = None
        assert self.seen_versions() in (0, 1)
        self.recorded()

    @rule(
        testcase=st.sampled_from((*GATED, UNGATED)),
        scenario=st.sampled_from(SCENARIOS),
        arch=st.sampled_from(ARCHES),
    )
    def rerun(self, testcase: str, scenario: str | None, arch: str | None) -> None:
        _, decision = self.app.triage.rerun(CID, testcase, actor=RELENG, scenario=scenario,
                                            arch=arch, reason="once more")  # fmt: skip
        self.inputs = None
        assert self.seen_versions() in (0, 1)
        self.recorded()
        assert content(decision) == self.full()


class TriageDecisionsOnPostgres(TriageDecisions):
    store = "postgresql"


MACHINES = {"sqlite": TriageDecisions, "postgresql": TriageDecisionsOnPostgres}


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_incremental_decisions_with_triage_equal_a_full_evaluation(store: str) -> None:
    if store == "postgresql":
        require_postgres()
    run_machine(MACHINES[store], 40)
