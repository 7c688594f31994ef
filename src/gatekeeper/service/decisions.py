"""Deciding: evaluate a compose from the store, record what changed, owe what follows.

A compose's stored decision is its current answers, one per requirement
(:class:`~gatekeeper.evaluate.Plan`), with their tally. A report, a waiver or a deadline
passing re-evaluates only the requirements of the testcases it touched, from the latest
result of each key, and records a new version when an answer changed: the answers that
changed, or a snapshot of all of them at a change of verdict and every
:data:`~gatekeeper.store.decision_history.SNAPSHOT_EVERY` versions. An answer that stays
passed, now naming a newer result, makes no version (Greenwave's ``decision.update``
ignores ``result_id``), though the current decision names the newer result. A changed
verdict promotes the compose or revokes its promotion; the hook calls a change owes are
written to the outbox in the same transaction, naming the version rather than carrying it.

Reading a decision never writes: it is the stored one while it is still true (no deadline
passed since), else a what-if at the clock's time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate import (
    DecisionState,
    Plan,
    assemble,
    payload_order,
    plan,
    summary_of,
    tally,
    verdict_of_tally,
)
from gatekeeper.model import Answer, Compose, ComposeState, Decision, DecisionVersion, Verdict
from gatekeeper.outbox import Owed
from gatekeeper.service.composes import Composes
from gatekeeper.service.context import Context
from gatekeeper.service.decision_clock import DecisionClock
from gatekeeper.service.decision_inputs import (
    expired_between,
    expiries,
    known_issues_used,
    read_inputs,
    request_retries,
)
from gatekeeper.store import Tx, compose_from_row
from gatekeeper.store.decision_history import SNAPSHOT_EVERY, change_delta, snapshot_delta
from gatekeeper.timeutil import utcnow

log = logging.getLogger("gatekeeper.service")

REDECIDE = "redecide"
"""The outbox kind of "decide this compose again": written with results stored by
:meth:`~gatekeeper.service.results.Results.record`, done by the dispatcher."""

Recorded = tuple[int | None, Verdict]
"""What recording gave: the new version (None: the decision did not change), the verdict."""


def merge_causes(causes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One cause for a decision made for several ``redecide`` entries at once."""
    results = [rid for cause in causes for rid in cause.get("results", ())]
    reporters = sorted({str(c["reporter"]) for c in causes if c.get("reporter")})
    merged: dict[str, Any] = {"results": results[:20],
                              "count": sum(int(c.get("count", 0)) for c in causes)}  # fmt: skip
    if reporters:
        merged["reporter"] = ", ".join(reporters)
    return merged


def _touched(causes: Sequence[Mapping[str, Any]]) -> set[str] | None:
    """The testcases of ``redecide`` entries (None: an entry that does not say: all)."""
    touched: set[str] = set()
    for cause in causes:
        if "testcases" not in cause:
            return None
        touched.update(cause["testcases"])
    return touched


def _only_the_result(old: Answer | None, new: Answer) -> bool:
    """Whether ``new`` differs from ``old`` only by which result satisfied a passed answer."""
    return (
        old is not None
        and old.type == new.type == "test-result-passed"
        and replace(old, result_id=new.result_id, ref_url=new.ref_url) == new
    )


def _content(decision: Decision) -> list[Any]:
    """What makes a new version: the decision without its time and without the result of
    a passed answer."""
    return [
        decision.verdict,
        decision.summary,
        decision.applicable_policies,
        [replace(a, result_id=None, ref_url=None) if a.type == "test-result-passed" else a
         for a in decision.answers],
    ]  # fmt: skip


class Decisions:
    """decide, record, redecide, deadlines, history: the compose's decision and its versions."""

    def __init__(self, ctx: Context, composes: Composes) -> None:
        self.ctx = ctx
        self.composes = composes
        self._plans: tuple[object, dict[tuple[str, str], Plan]] = (None, {})
        ctx.dispatcher.register(REDECIDE, self._redecide_entries, batch=True)
        self.clock = DecisionClock(self)  # deadlines and expiries

    def plan(self, compose: Compose) -> Plan:
        """The compose's numbered requirements (NoPolicyApplies when nothing gates it)."""
        policies = self.ctx.policies
        if self._plans[0] is not policies:
            self._plans = (policies, {})
        plans = self._plans[1]
        key = (compose.product, compose.type)
        if key not in plans:
            plans[key] = plan(compose, policies)
        return plans[key]

    # -- reading ---------------------------------------------------------------------------
    def decide(self, compose_id: str, *, now: datetime | None = None) -> Decision:
        """The compose's decision, never written: the stored one while it is still true at
        the clock's time (no deadline passed since, no stored result waits to be decided);
        else (or at another time ``now``) a what-if."""
        with self.ctx.store.transaction(readonly=True) as tx:
            compose = self.ctx.require(tx, compose_id)
            when = self.ctx.clock() if now is None else now
            if now is None:
                stored = self._still_true(tx, compose, when)
                if stored is not None:
                    return stored
            return self._what_if(tx, compose, when)

    def part(self, compose_id: str, testcases: Collection[str] | None) -> Decision:
        """:meth:`decide` with only the answers of ``testcases`` (None: all), its verdict and
        summary the whole decision's: what a report's answer carries, read by index."""
        if testcases is None:
            return self.decide(compose_id)
        with self.ctx.store.transaction(readonly=True) as tx:
            compose = self.ctx.require(tx, compose_id)
            when = self.ctx.clock()
            state = tx.decision_state(compose_id)
            the_plan = self.plan(compose)
            if (
                state is None
                or state.digest != the_plan.digest
                or self.moved(tx, compose, the_plan, state.valid_at, when)
            ):
                whole = self._what_if(tx, compose, when)
                return replace(whole, answers=tuple(a for a in whole.answers
                                                    if a.testcase in testcases))  # fmt: skip
            answers = tx.answers_of(compose_id, testcases=testcases)
            return assemble(compose_id, state.names, answers, state.evaluated_at, state.counts)

    def current(self, compose_id: str) -> Decision | None:
        """The stored decision (its latest version, naming the latest results), or None."""
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.current_decision(compose_id)

    def history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every version of the compose's decision, oldest first, each with its cause."""
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.decision_history(compose_id)

    def at_version(self, compose_id: str, version: int) -> Decision:
        """A stored version of the compose's decision, as it was recorded."""
        with self.ctx.store.transaction(readonly=True) as tx:
            found = tx.replayed(compose_id, [version])
        if not found:
            raise KeyError(f"compose {compose_id} has no decision version {version}")
        return Decision.from_json(found[0][1])

    def _still_true(self, tx: Tx, compose: Compose, when: datetime) -> Decision | None:
        state = tx.decision_state(compose.id)
        if state is None or tx.redecide_owed(compose.id):  # results stored, not yet decided
            return None
        the_plan = self.plan(compose)
        if state.digest != the_plan.digest or self.moved(
            tx, compose, the_plan, state.valid_at, when
        ):
            return None
        return tx.current_decision(compose.id)

    def _what_if(self, tx: Tx, compose: Compose, when: datetime) -> Decision:
        the_plan = self.plan(compose)
        inputs = read_inputs(tx, compose, None, the_plan, when)
        answers = inputs.answer(the_plan, range(len(the_plan.gates)), compose, when)
        return assemble(compose.id, the_plan.names, answers, when)

    def moved(self, tx: Tx, compose: Compose, the_plan: Plan, then: datetime,
              now: datetime) -> set[str]:  # fmt: skip
        """The testcases whose answers time changed between ``then`` and ``now``: a gate's
        deadline, a waiver's or known issue's expiry passed."""
        found = expiries(tx, [compose], min(then, now), max(then, now)).get(compose.id, ())
        return the_plan.crossed(compose.announced_at, then, now) | expired_between(found, then, now)

    # -- recording ---------------------------------------------------------------------------
    def redecide(
        self, compose_id: str, cause: Mapping[str, Any], touched: Collection[str] | None = None
    ) -> Decision:
        """Decide under the compose's lock, recording a change with ``cause``; the decision."""
        with self.ctx.step() as (tx, _undo, owed):
            row = self.ctx.lock(tx, compose_id)
            self.record(tx, row, self.ctx.clock(), owed, cause, touched=touched)
            decision = tx.current_decision(compose_id)
        assert decision is not None
        return decision

    def first(self, tx: Tx, compose_id: str, owed: Owed) -> None:
        """Version 1 of a compose just announced (pending: what is missing), in the
        announcing transaction; nothing for a compose no policy gates."""
        row = self.ctx.lock(tx, compose_id)
        try:
            self.record(tx, row, self.ctx.clock(), owed, {"announced": True})
        except NoPolicyApplies:
            log.warning("action=announce compose=%s outcome=ungated", compose_id)

    def _redecide_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The dispatcher's handler of ``redecide``: one decision for a burst of entries."""
        causes = [r["payload"] for r in rows]
        cause = merge_causes(causes)
        self.redecide(rows[0]["payload"]["compose"], cause, touched=_touched(causes))

    def record(
        self, tx: Tx, row: Mapping[str, Any], now: datetime, owed: Owed,
        cause: Mapping[str, Any] | None = None, *, touched: Collection[str] | None = None,
    ) -> Recorded:  # fmt: skip
        """Decide inside the caller's transaction, which holds the compose's lock (``row``
        is its locked row), re-evaluating the requirements of the ``touched`` testcases
        (None: all) and of the deadlines passed since the stored state; record and owe
        what changed, ``cause`` kept with a new version."""
        compose = compose_from_row(row)
        the_plan = self.plan(compose)
        raw = row.get("decision_state")
        state = None if raw is None else DecisionState.from_json(raw)
        if state is None or state.digest != the_plan.digest or touched is None:
            return self._record_all(tx, row, compose, the_plan, state, now, owed, cause)
        crossed = self.moved(tx, compose, the_plan, state.valid_at, now)
        testcases = (set(touched) & the_plan.testcases) | crossed
        if not testcases:
            return None, state.verdict
        indexes = the_plan.gates_of(testcases)
        inputs = read_inputs(tx, compose, testcases, the_plan, now)
        request_retries(tx, compose, the_plan, inputs, indexes, now, owed)
        new = inputs.answer(the_plan, indexes, compose, now)
        old = tx.answers_of(compose.id, testcases=testcases)
        changed = {n: a for n, a in new.items() if old.get(n) != a}
        counts = state.counts.moved([old[n] for n in changed if n in old], changed.values())
        kept = replace(state, counts=counts, valid_at=now)
        tx.put_answers(compose.id, changed)
        tx.mark_known_issues_used(compose.id, known_issues_used(changed), now)
        if all(_only_the_result(old.get(n), a) for n, a in changed.items()):
            if changed:
                kept = replace(kept, amended=kept.amended + 1)
            if changed or crossed:
                tx.set_decision_state(compose.id, kept.to_json())
            return None, state.verdict
        verdict = verdict_of_tally(counts)
        snapshot = verdict != state.verdict or state.since_snapshot + 1 >= SNAPSHOT_EVERY
        version = int(row["decision_version"]) + 1
        new_state = replace(kept, evaluated_at=now, valid_at=now,
                            since_snapshot=0 if snapshot else state.since_snapshot + 1)  # fmt: skip
        if snapshot:
            answers = tx.answers_of(compose.id)
            decision = assemble(compose.id, the_plan.names, answers, now, counts)
            self._add_snapshot(tx, decision, answers, version, cause)
        else:
            tx.add_decision_version(
                compose.id, version, verdict=verdict, summary=summary_of(counts),
                evaluated_at=now, created_at=utcnow(), cause=cause, payload=None,
                delta=change_delta(changed),
            )  # fmt: skip
        tx.set_decision_state(compose.id, new_state.to_json(), version=version)
        self._owe(tx, row, compose, version, verdict, owed)
        return version, verdict

    def _record_all(
        self, tx: Tx, row: Mapping[str, Any], compose: Compose, the_plan: Plan,
        state: DecisionState | None, now: datetime, owed: Owed, cause: Mapping[str, Any] | None,
    ) -> Recorded:  # fmt: skip
        """Every requirement evaluated: the first decision, new policies, or a caller that
        does not say what changed."""
        indexes = range(len(the_plan.gates))
        inputs = read_inputs(tx, compose, None, the_plan, now)
        request_retries(tx, compose, the_plan, inputs, indexes, now, owed)
        answers = inputs.answer(the_plan, indexes, compose, now)
        counts = tally(answers.values())
        decision = assemble(compose.id, the_plan.names, answers, now, counts)
        previous = tx.current_decision(compose.id)
        tx.put_answers(compose.id, answers, replace=True)
        tx.mark_known_issues_used(compose.id, known_issues_used(answers), now)
        same_basis = state is not None and state.digest == the_plan.digest
        if previous is not None and _content(previous) == _content(decision):
            since = state.since_snapshot if same_basis and state else SNAPSHOT_EVERY
            kept = DecisionState(the_plan.digest, the_plan.names, counts, previous.evaluated_at,
                                 now, since, state.amended + 1 if state else 0)  # fmt: skip
            tx.set_decision_state(compose.id, kept.to_json())
            return None, decision.verdict
        version = int(row["decision_version"]) + 1
        self._add_snapshot(tx, decision, answers, version, cause)
        new_state = DecisionState(the_plan.digest, the_plan.names, counts, now, now, 0)
        tx.set_decision_state(compose.id, new_state.to_json(), version=version)
        self._owe(tx, row, compose, version, decision.verdict, owed)
        return version, decision.verdict

    def _add_snapshot(
        self, tx: Tx, decision: Decision, answers: Mapping[int, Answer], version: int,
        cause: Mapping[str, Any] | None,
    ) -> None:  # fmt: skip
        payload = decision.to_json()
        tx.add_decision_version(
            decision.compose, version, verdict=decision.verdict, summary=decision.summary,
            evaluated_at=decision.evaluated_at, created_at=utcnow(), cause=cause,
            payload=payload, delta=snapshot_delta(payload, payload_order(answers)),
        )  # fmt: skip

    def _owe(
        self, tx: Tx, row: Mapping[str, Any], compose: Compose, version: int, verdict: Verdict,
        owed: Owed,
    ) -> None:  # fmt: skip
        """The hook calls a new version owes, and the promotion a verdict change makes."""
        new = DecisionVersion(compose.id, version)
        old = DecisionVersion(compose.id, version - 1) if version > 1 else None
        owed.add(tx, "gatekeeper_decision_changed", compose, old=old, new=new, version=version)
        if row.get("state") in (ComposeState.PUBLISHED, ComposeState.SUPERSEDED):
            return
        promoted = bool(row.get("promoted"))
        if verdict == Verdict.PASSED and not promoted:
            promoted = True
            tx.update_compose(compose.id, promoted=True, state=ComposeState.PROMOTED.value)
            owed.add(tx, "gatekeeper_promote_compose", compose, decision=new)
        elif verdict != Verdict.PASSED and promoted:
            promoted = False
            proposed = tx.merge_request_for(compose.id) is not None
            state = ComposeState.PROPOSED if proposed else ComposeState.ANNOUNCED
            tx.update_compose(compose.id, promoted=False, state=state.value)
            owed.add(tx, "gatekeeper_promotion_revoked", compose, decision=new)
        current: Callable[[], Decision | None] = lambda: tx.current_decision(compose.id)  # noqa: E731
        self.composes.refresh_gate(tx, compose.id, current, version, promoted=promoted)

    # -- time ----------------------------------------------------------------------------------
    def next_deadline(self) -> datetime | None:
        """The earliest instant at which an open compose's decision changes by itself."""
        return self.clock.next_deadline()

    def act_on_deadlines(self, now: datetime | None = None) -> list[str]:
        """Record the decisions of the open composes whose deadlines or expiries passed."""
        return self.clock.act_on_deadlines(now)
