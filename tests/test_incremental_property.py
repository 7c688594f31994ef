"""The pure engine stays the reference: decisions kept up incrementally equal a full evaluate().

A hypothesis state machine drives one compose of a fresh application on a fresh database
(SQLite, and a schema of its own on PostgreSQL) through random reports, waivers and their
revocations, clock moves (onto, just past and across deadline instants) and calls of the
deadline timer's entry point. After every step the service is compared with
:func:`gatekeeper.evaluate.evaluate` over everything stored:

- a step that records (a report storing results, a waiver, the timer) leaves the stored
  current decision equal to the full evaluation at the clock's time;
- ``decide`` always equals it and never writes; a clock move alone records nothing;
- the stored decision stays true until a deadline instant passes, and the timer is due by
  then (``next_deadline``); the timer acts on a deadline once;
- the history's versions count from 1, its latest one is the current decision.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from gatekeeper.config import Settings
from gatekeeper.evaluate import evaluate
from gatekeeper.model import Compose, Decision, Outcome, Policy, Result, Waiver
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing import Clock, postgres_schema, require_postgres

CID = "CentOS-Stream-9-20261124.0"
START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
RELENG = Actor(name="releng", is_admin=True, can_waive=True)

# Gates with and without arches, with and without a scenario, two on one testcase, an
# informational one, deadlines that block and one that is ignored, two gates sharing a
# deadline instant (1h, 2h twice, 4h after the announcement).
POLICIES = {
    "alpha": """\
team: alpha
gates:
  - testcase: alpha.smoke
    arches: [x86_64, aarch64]
  - testcase: alpha.install
    scenario: bios
    deadline: 1h
  - testcase: alpha.install
  - testcase: alpha.docs
    required: false
""",
    "beta": """\
team: beta
gates:
  - testcase: beta.tier1
    arches: [x86_64]
    deadline: 2h
    on_missing: ignore
  - testcase: beta.perf
    scenario: uefi
    arches: [aarch64]
    deadline: 4h
""",
    "gamma": """\
team: gamma
gates:
  - testcase: gamma.lint
    deadline: 2h
""",
}
GATED = ("alpha.smoke", "alpha.install", "alpha.docs", "beta.tier1", "beta.perf", "gamma.lint")
UNGATED = "alpha.unused"  # owned by team alpha, gated by nobody

SCENARIOS = (None, "bios", "uefi")
ARCHES = (None, "x86_64", "aarch64")
VARIANTS = (None, "BaseOS")
# Submit times relative to the clock (at most the 10 minutes of allowed skew ahead);
# None is one fixed instant before the announcement, so equal submit times recur.
SUBMITTED = (
    timedelta(hours=-2), timedelta(minutes=-1), timedelta(0), timedelta(0),
    timedelta(seconds=1), timedelta(minutes=5), None,
)  # fmt: skip
FIXED_SUBMIT = START - timedelta(hours=3)
# Clock moves: a fixed step, or onto a deadline instant (by index) plus a little.
STEPS = (
    timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=20),
    timedelta(minutes=59), timedelta(hours=1), timedelta(hours=3),
)  # fmt: skip
PAST_INSTANT = (timedelta(0), timedelta(microseconds=1), timedelta(seconds=1))


@dataclass(frozen=True)
class Report:
    """One result to report, its submit time relative to the clock when it is sent.

    ``again``: the key (testcase, scenario, arch, variant) of an earlier result instead
    (by index, modulo their number), at that result's submit time when ``submitted`` is None.
    """

    testcase: str
    outcome: Outcome
    scenario: str | None
    arch: str | None
    variant: str | None
    submitted: timedelta | None
    with_id: bool
    again: int | None


@dataclass(frozen=True)
class OntoDeadline:
    """Move the clock to deadline instant ``index`` (modulo their number) plus ``past``."""

    index: int
    past: timedelta


reports = st.builds(
    Report,
    testcase=st.sampled_from((*GATED, UNGATED)),
    outcome=st.sampled_from(tuple(Outcome)),
    scenario=st.sampled_from(SCENARIOS),
    arch=st.sampled_from(ARCHES),
    variant=st.sampled_from(VARIANTS),
    submitted=st.sampled_from(SUBMITTED),
    with_id=st.booleans(),
    again=st.none() | st.integers(0, 30),
)
moves = st.one_of(
    st.sampled_from(STEPS),
    st.builds(OntoDeadline, index=st.integers(0, 5), past=st.sampled_from(PAST_INSTANT)),
)


def content(decision: Decision) -> dict[str, Any]:
    """A decision's JSON without its evaluation time: what two equal decisions share."""
    return {k: v for k, v in decision.to_json().items() if k != "evaluated_at"}


class IncrementalDecisions(RuleBasedStateMachine):
    """One compose on a fresh app and database; the engine over all of it is the oracle."""

    store = "sqlite"
    policies = POLICIES

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.clock = Clock(START)
        self.instants: list[datetime] = []
        self.acted: set[datetime] = set()  # instants the timer was called after
        self.confirmed = START  # when the stored decision was last made (or found) true
        self.written = START  # when a step that may write last ran
        self.reported = 0
        self.sent: list[Result] = []
        self.known = 0  # the number of versions stored, as last seen
        self.inputs: tuple[Compose, list[Policy], list[Result], list[Waiver]] | None = None

    # -- the application -------------------------------------------------------------------
    def _open(self) -> Gatekeeper:
        base = Path(self.stack.enter_context(TemporaryDirectory(prefix="gk-prop-")))
        policies = base / "policies"
        policies.mkdir()
        for team, text in self.policies.items():
            (policies / f"{team}.yaml").write_text(text, encoding="utf-8")
        if self.store == "sqlite":
            url = f"sqlite:///{base / 'var' / 'gatekeeper.db'}"
        else:
            url = self.stack.enter_context(postgres_schema("gk_prop"))
        config = Settings(var_dir=base / "var", database_url=url, policies_dir=policies)
        app = Gatekeeper(config, pm=make_plugin_manager(), clock=self.clock)
        self.stack.callback(app.store.dispose)  # before the schema is dropped
        app.start()
        return app

    def teardown(self) -> None:
        self.stack.close()

    # -- the oracle --------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.clock.now

    def full(self, at: datetime | None = None) -> dict[str, Any]:
        """The pure engine over every stored result and waiver, at the clock's time."""
        if self.inputs is None:  # read again after a report or a waiver
            app = self.app
            self.inputs = (app.compose(CID), app.policies, app.results(CID), app.waivers(CID))
        return content(evaluate(*self.inputs, self.now if at is None else at))

    def current(self) -> dict[str, Any]:
        decision = self.app.current_decision(CID)
        assert decision is not None, "the compose has no stored decision"
        return content(decision)

    def versions(self) -> int:
        return len(self.app.history(CID))

    def seen_versions(self) -> int:
        """How many versions were stored since they were last counted."""
        before, self.known = self.known, self.versions()
        return self.known - before

    def recorded(self) -> None:
        """After a step that records: the stored decision is the full evaluation now."""
        self.confirmed = self.written = self.now
        assert self.current() == self.full(), "the stored decision is not the engine's"

    # -- steps ---------------------------------------------------------------------------------
    @initialize(lag=st.sampled_from((timedelta(0), timedelta(minutes=30), timedelta(minutes=90))))
    def announce(self, lag: timedelta) -> None:
        """Announced ``lag`` ago (90 minutes: past the first deadline already)."""
        self.app = self._open()
        at = self.now - lag
        compose, created = self.app.announce(CID, at=at)
        assert created
        self.instants = sorted({compose.announced_at + gate.deadline
                                for policy in self.app.policies for gate in policy.gates
                                if gate.deadline is not None})  # fmt: skip
        assert len(self.instants) == 3
        self.known = self.versions()
        assert self.known == 1, "the announcement records decision version 1"
        self.confirmed, self.written = at, self.now  # made true at one of them

    @rule(batch=st.lists(reports, min_size=1, max_size=3))
    def report(self, batch: list[Report]) -> None:
        ingested = self.app.ingest([self._result(spec) for spec in batch], RELENG)
        self.inputs = None
        grown = self.seen_versions()
        assert grown in (0, 1)
        assert (ingested.version is None) == (grown == 0)
        if ingested.stored:
            self.recorded()
            assert content(ingested.decision) == self.full()
        else:  # only results stored before: nothing new to decide on
            self.written = self.now

    def _result(self, spec: Report) -> Result:
        self.reported += 1
        key = (spec.testcase, spec.scenario, spec.arch, spec.variant)
        submitted = FIXED_SUBMIT
        if spec.again is not None and self.sent:  # the same key again: it supersedes or ties
            earlier = self.sent[spec.again % len(self.sent)]
            key = (earlier.testcase, earlier.scenario, earlier.arch, earlier.variant)
            submitted = earlier.submit_time
        if spec.submitted is not None:
            submitted = self.now + spec.submitted
        testcase, scenario, arch, variant = key
        result = Result(
            compose=CID,
            testcase=testcase,
            outcome=spec.outcome,
            submit_time=submitted,
            id=f"run-{self.reported}" if spec.with_id else None,
            scenario=scenario,
            arch=arch,
            variant=variant,
            ref_url=f"https://ci.example.org/runs/{self.reported}" if spec.with_id else None,
        )
        self.sent.append(result)
        return result

    @rule(
        testcase=st.sampled_from((*GATED, UNGATED)),
        scenario=st.sampled_from(SCENARIOS),
        arch=st.sampled_from(ARCHES),
        revoke=st.booleans(),
    )
    def waive(self, testcase: str, scenario: str | None, arch: str | None, revoke: bool) -> None:
        _, decision = self.app.waive(CID, testcase, actor=RELENG, comment="known issue",
                                     scenario=scenario, arch=arch, revoke=revoke)  # fmt: skip
        self.inputs = None
        assert self.seen_versions() in (0, 1)
        self.recorded()
        assert content(decision) == self.full()

    @rule(move=moves)
    def advance(self, move: timedelta | OntoDeadline) -> None:
        """Time passes and nobody calls the timer: reads follow the clock, nothing is written
        (the invariants check both); a decision gone stale was one the timer was due for."""
        due = self.app.next_deadline()
        if isinstance(move, OntoDeadline):
            target = self.instants[move.index % len(self.instants)] + move.past
        else:
            target = self.now + move
        if target <= self.now:  # an instant already behind: move on a little instead
            target = self.now + timedelta(minutes=1)
        self.clock.now = target
        if self.current() != self.full():
            assert due is not None and due < self.now, f"stale decision, next deadline {due}"

    @rule()
    def act_on_deadlines(self) -> None:
        """The deadline timer fires: it acts on the passed deadlines, once each."""
        stale = self.current() != self.full()
        waiting = [i for i in self.instants if i < self.now and i not in self.acted]
        acted_on = self.app.act_on_deadlines()
        if stale:
            assert acted_on == [CID], "a passed deadline changed the decision; not acted on"
        elif not waiting:
            assert acted_on == [], f"no deadline is waiting, yet acted on {acted_on}"
        else:
            assert acted_on in ([], [CID])
        assert self.seen_versions() in (0, 1), "one deadline, one version"
        self.acted.update(i for i in self.instants if i < self.now)
        self.recorded()
        assert self.app.act_on_deadlines() == [], "a deadline was acted on twice"
        # (the invariants check that it recorded nothing)

    # -- after every step ------------------------------------------------------------------
    @invariant()
    def check_after_every_step(self) -> None:
        history = self.app.history(CID)
        assert [entry["version"] for entry in history] == list(range(1, len(history) + 1))
        assert len(history) == self.known, "a step recorded what it should not have"
        current = self.app.current_decision(CID)
        assert current is not None, "the compose has no stored decision"
        assert (str(history[-1]["verdict"]), history[-1]["summary"]) == (
            str(current.verdict),
            current.summary,
        ), "the history's latest version is not the current decision"
        full = self.full()
        assert content(self.app.decide(CID)) == full, "decide() differs from the engine"
        # the stored decision stays true until a deadline instant passes
        if not [i for i in self.instants if self.confirmed <= i < self.now]:
            assert content(current) == full, "the stored decision went stale"
        due = self.app.next_deadline()
        assert self.versions() == self.known, "a read (decide, next_deadline) recorded"
        assert due is None or (due in self.instants and due not in self.acted), (
            f"next deadline {due}: not a deadline instant, or one the timer acted on"
        )
        # an instant next_deadline passes over was passed before the last write (which may
        # have acted on it), or is one at which the decision does not change
        skipped = [i for i in self.instants if i not in self.acted and i >= self.written
                   and (due is None or i < due)]  # fmt: skip
        after = timedelta(microseconds=1)
        assert all(self.full(i) == self.full(i + after) for i in skipped), (
            f"next deadline {due} skips one of {skipped} at which the decision changes"
        )


class IncrementalDecisionsOnPostgres(IncrementalDecisions):
    store = "postgresql"


MACHINES = {"sqlite": IncrementalDecisions, "postgresql": IncrementalDecisionsOnPostgres}


def run_machine(machine: type[RuleBasedStateMachine], examples: int) -> None:
    """Run a state machine of this module's kind: ``examples`` runs of 20 steps, the same
    ones every time."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_incremental_decisions_equal_a_full_evaluation(store: str) -> None:
    if store == "postgresql":
        require_postgres()
    run_machine(MACHINES[store], 60)
