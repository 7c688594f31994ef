"""Deciding: evaluate a compose from the store, record what changed, queue what follows.

A use case of :class:`gatekeeper.service.Gatekeeper` (it inherits this mixin), kept in
its own module by responsibility. A new decision version is recorded under the compose's
row lock, with its cause; a changed verdict promotes the compose or revokes its
promotion, and the merge request's gate section follows. Hook calls go to the outbox in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.evaluate import evaluate, gated_testcases
from gatekeeper.events import Events
from gatekeeper.model import PASSED, Compose, Decision, Policy
from gatekeeper.store import Tx
from gatekeeper.store.composes import compose_from_row

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.store import Store


REDECIDE = "redecide"
"""The outbox kind of "decide this compose again": written with results stored by
:meth:`~gatekeeper.service.Gatekeeper.record_results`, done by the dispatcher."""


def merge_causes(causes: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One cause for a decision made for several ``redecide`` entries at once."""
    results = [rid for cause in causes for rid in cause.get("results", ())]
    reporters = sorted({str(c["reporter"]) for c in causes if c.get("reporter")})
    merged: dict[str, Any] = {"results": results[:20],
                              "count": sum(int(c.get("count", 0)) for c in causes)}  # fmt: skip
    if reporters:
        merged["reporter"] = ", ".join(reporters)
    return merged


class Deciding:
    """Mixin of :class:`~gatekeeper.service.Gatekeeper`: decide, history, redecide."""

    if TYPE_CHECKING:
        store: Store
        clock: Callable[[], datetime]

        @property
        def policies(self) -> list[Policy]: ...
        def _require(self, tx: Tx, compose_id: str) -> Compose: ...
        def _lock(self, tx: Tx, compose_id: str) -> dict[str, Any]: ...
        def _fire(self, events: Events) -> None: ...
        def _refresh_gate(
            self, tx: Tx, compose_id: str, decision: Decision, version: int, *, promoted: bool
        ) -> None: ...

    def decide(self, compose_id: str, *, now: datetime | None = None) -> Decision:
        """Decide from the store. With the real clock, a changed decision is recorded (time
        alone can make a gate overdue); with ``now`` given it is a what-if and changes nothing.

        Deciding reads first without locking anything; only a decision that differs from
        the stored one takes the compose's lock to record it, so concurrent readers of an
        unchanged decision never wait for each other.
        """
        if now is not None:
            with self.store.transaction(readonly=True) as tx:
                compose = self._require(tx, compose_id)
                return evaluate(
                    compose,
                    self.policies,
                    tx.results_for(compose_id),
                    tx.waivers_for(compose_id),
                    now,
                )
        with self.store.transaction(readonly=True) as tx:
            compose = self._require(tx, compose_id)
            decision = self._evaluate(tx, compose, self.clock())
            if tx.is_latest_decision(decision):
                return decision
        return self.redecide(compose_id, {"clock": True})

    def redecide(self, compose_id: str, cause: Mapping[str, Any]) -> Decision:
        """Decide under the compose's lock, recording a changed decision with ``cause``."""
        events = Events()
        with self.store.transaction() as tx:
            row = self._lock(tx, compose_id)
            decision, _ = self._redecide(tx, row, self.clock(), events, cause)
        self._fire(events)
        return decision

    def history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every version of the compose's decision, oldest first, each with its cause."""
        with self.store.transaction(readonly=True) as tx:
            self._require(tx, compose_id)
            return tx.decision_history(compose_id)

    def _evaluate(self, tx: Tx, compose: Compose, now: datetime) -> Decision:
        # what the engine reads: the gated testcases' latest results, without their data
        gated = gated_testcases(compose, self.policies)
        results = tx.results_for(compose.id, with_data=False, testcases=gated, latest=True)
        return evaluate(compose, self.policies, results, tx.waivers_for(compose.id), now)

    def _redecide(
        self, tx: Tx, row: Mapping[str, Any], now: datetime, events: Events,
        cause: Mapping[str, Any] | None = None,
    ) -> tuple[Decision, int | None]:  # fmt: skip
        """Evaluate inside the caller's transaction, which holds the compose's lock (``row``
        is its locked row); record and queue what changed (``cause``: what made the
        change, kept with the new version)."""
        compose = compose_from_row(row)
        previous = tx.latest_decision(compose.id)
        decision = self._evaluate(tx, compose, now)
        version = tx.record_decision(decision, cause, locked=(row, previous))
        if version is None:
            return decision, None
        old = previous["payload"] if previous else None
        events.add(
            tx, "gatekeeper_decision_changed", compose, old=old, new=decision, version=version
        )
        if row.get("state") in ("published", "superseded"):
            return decision, version
        promoted = bool(row.get("promoted"))
        if decision.verdict == PASSED and not promoted:
            promoted = True
            tx.update_compose(compose.id, promoted=True, state="promoted")
            events.add(tx, "gatekeeper_promote_compose", compose, decision=decision)
        elif decision.verdict != PASSED and promoted:
            promoted = False
            tx.update_compose(compose.id, promoted=False, state=_unpromoted_state(tx, compose.id))
            events.add(tx, "gatekeeper_promotion_revoked", compose, decision=decision)
        self._refresh_gate(tx, compose.id, decision, version, promoted=promoted)
        return decision, version


def _unpromoted_state(tx: Tx, compose_id: str) -> str:
    return "proposed" if tx.merge_request_for(compose_id) else "announced"
