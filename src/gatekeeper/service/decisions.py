"""Deciding: evaluate a compose from the store, record what changed, owe what follows.

A new decision version is recorded under the compose's row lock, with its cause; a
changed verdict promotes the compose or revokes its promotion, and the merge request's
gate section follows (:class:`~gatekeeper.service.composes.Composes`). The hook calls a
change owes are written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gatekeeper.evaluate import evaluate, gated_testcases
from gatekeeper.model import ComposeState, Decision, Verdict
from gatekeeper.outbox import Owed
from gatekeeper.service.composes import Composes
from gatekeeper.service.context import Context
from gatekeeper.store import Tx, compose_from_row

REDECIDE = "redecide"
"""The outbox kind of "decide this compose again": written with results stored by
:meth:`~gatekeeper.service.results.Results.record`, done by the dispatcher."""


def merge_causes(causes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One cause for a decision made for several ``redecide`` entries at once."""
    results = [rid for cause in causes for rid in cause.get("results", ())]
    reporters = sorted({str(c["reporter"]) for c in causes if c.get("reporter")})
    merged: dict[str, Any] = {"results": results[:20],
                              "count": sum(int(c.get("count", 0)) for c in causes)}  # fmt: skip
    if reporters:
        merged["reporter"] = ", ".join(reporters)
    return merged


class Decisions:
    """decide, redecide, history: the compose's decision and its versions."""

    def __init__(self, ctx: Context, composes: Composes) -> None:
        self.ctx = ctx
        self.composes = composes
        ctx.dispatcher.register(REDECIDE, self._redecide_entries, batch=True)

    def decide(self, compose_id: str, *, now: datetime | None = None) -> Decision:
        """Decide from the store. With the real clock, a changed decision is recorded (time
        alone can make a gate overdue); with ``now`` given it is a what-if and changes nothing.

        Deciding reads first without locking anything; only a decision that differs from
        the stored one takes the compose's lock to record it, so concurrent readers of an
        unchanged decision never wait for each other.
        """
        ctx = self.ctx
        if now is not None:
            with ctx.store.transaction(readonly=True) as tx:
                compose = ctx.require(tx, compose_id)
                return evaluate(compose, ctx.policies, tx.results_for(compose_id),
                                tx.waivers_for(compose_id), now)  # fmt: skip
        with ctx.store.transaction(readonly=True) as tx:
            decision = self._evaluate(tx, ctx.require(tx, compose_id), ctx.clock())
            if tx.is_latest_decision(decision):
                return decision
        return self.redecide(compose_id, {"clock": True})

    def redecide(self, compose_id: str, cause: Mapping[str, Any]) -> Decision:
        """Decide under the compose's lock, recording a changed decision with ``cause``."""
        with self.ctx.step() as (tx, _undo, owed):
            row = self.ctx.lock(tx, compose_id)
            decision, _ = self.record(tx, row, self.ctx.clock(), owed, cause)
        return decision

    def history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every version of the compose's decision, oldest first, each with its cause."""
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.decision_history(compose_id)

    def _redecide_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The dispatcher's handler of ``redecide``: one decision for a burst of entries."""
        self.redecide(rows[0]["payload"]["compose"], merge_causes([r["payload"] for r in rows]))

    def _evaluate(self, tx: Tx, compose: Any, now: datetime) -> Decision:
        # what the engine reads: the gated testcases' latest results, without their data
        policies = self.ctx.policies
        gated = gated_testcases(compose, policies)
        results = tx.results_for(compose.id, with_data=False, testcases=gated, latest=True)
        return evaluate(compose, policies, results, tx.waivers_for(compose.id), now)

    def record(
        self, tx: Tx, row: Mapping[str, Any], now: datetime, owed: Owed,
        cause: Mapping[str, Any] | None = None,
    ) -> tuple[Decision, int | None]:  # fmt: skip
        """Evaluate inside the caller's transaction, which holds the compose's lock (``row``
        is its locked row); record and owe what changed (``cause``: what made the change,
        kept with the new version). Returns the decision and its new version (None: the
        decision did not change)."""
        compose = compose_from_row(row)
        previous = tx.latest_decision(compose.id)
        decision = self._evaluate(tx, compose, now)
        version = tx.record_decision(decision, cause, locked=(row, previous))
        if version is None:
            return decision, None
        old = previous["payload"] if previous else None  # Decision JSON: decoded when sent
        owed.add(tx, "gatekeeper_decision_changed", compose, old=old, new=decision,
                 version=version)  # fmt: skip
        if row.get("state") in (ComposeState.PUBLISHED, ComposeState.SUPERSEDED):
            return decision, version
        promoted = bool(row.get("promoted"))
        if decision.verdict == Verdict.PASSED and not promoted:
            promoted = True
            tx.update_compose(compose.id, promoted=True, state=ComposeState.PROMOTED.value)
            owed.add(tx, "gatekeeper_promote_compose", compose, decision=decision)
        elif decision.verdict != Verdict.PASSED and promoted:
            promoted = False
            proposed = tx.merge_request_for(compose.id) is not None
            state = ComposeState.PROPOSED if proposed else ComposeState.ANNOUNCED
            tx.update_compose(compose.id, promoted=False, state=state.value)
            owed.add(tx, "gatekeeper_promotion_revoked", compose, decision=decision)
        self.composes.refresh_gate(tx, compose.id, decision, version, promoted=promoted)
        return decision, version
