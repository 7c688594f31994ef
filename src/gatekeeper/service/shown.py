"""Which decision a page shows, and its history, with what is kept between pages.

The decision shown is the compose's latest stored version while it is current: the
same policies apply, each answer has its own requirement (the policies were not changed
since), no ``redecide`` of it waits in the outbox (results stored, not yet decided) and no
deadline instant, nor the expiry of a waiver or known issue, lies between its evaluation
and now. Otherwise it is the engine's what-if
at the service clock, from what the engine reads when it decides (results, waivers,
known issues, rerun requests). Either way it is what
``GET /api/v1/composes/{id}/decision`` answers at that moment, answer for answer.

A stored version never changes, so its decoded answers paired with the gates, and what
changed since the version before it, are kept (:mod:`~gatekeeper.service.view_cache`):
showing a version again reads neither its JSON nor the previous one's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate import evaluate, gated_testcases
from gatekeeper.model import Compose, Decision, Policy, Verdict
from gatekeeper.service.context import Context
from gatekeeper.service.decision_inputs import expired_between, expiries
from gatekeeper.service.matrix import (
    AnswerTypes,
    Paired,
    answer_changes,
    answer_types,
    applicable,
    fits,
    history_entry,
    pair_answers,
    row_counts,
    time_moved,
)
from gatekeeper.service.view_cache import Kept
from gatekeeper.service.views import HistoryEntry
from gatekeeper.store import Tx

DECISIONS_KEPT = 16
"""Decoded stored decisions kept (a 4,000-answer one is a few MB of objects)."""
CHANGES_KEPT = 1024
"""Versions whose changed answers are kept (at most a few hundred changes each)."""
TYPES_KEPT = 16
"""Versions whose answer types are kept: what the next version is compared with."""
FACTS_KEPT = 4096
"""Versions whose list row facts are kept (a few numbers and names each)."""

Payloads = Callable[[], Mapping[str, Any] | None]
Expiring = Sequence[tuple[datetime, str]]  # the instants a compose's waivers etc. expire
Changes = tuple[tuple[Any, ...], int, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Shown:
    """The decision a page shows and where it comes from."""

    decision: Decision | None
    undecided: str | None
    version: int | None
    stored: bool  # the stored latest version (else a what-if that differs from it)
    pairs: tuple[Paired, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    """What a compose's row says of the decision shown (see
    :class:`~gatekeeper.service.views.ComposeRow`); ``deadlines`` are those of its
    unsatisfied required answers, soonest first."""

    verdict: Verdict | None
    summary: str | None
    undecided: str | None
    version: int | None
    satisfied: int = 0
    required: int = 0
    waiting_for: tuple[str, ...] = ()
    deadlines: tuple[datetime, ...] = ()

    def next_deadline(self, now: datetime) -> datetime | None:
        return next((d for d in self.deadlines if d > now), None)


def facts_of(shown: Shown) -> Facts:
    if shown.decision is None:
        return Facts(None, None, shown.undecided, shown.version)
    satisfied, required, waiting, deadlines = row_counts(shown.pairs)
    decision = shown.decision
    return Facts(decision.verdict, decision.summary, None, shown.version, satisfied, required,
                 waiting, deadlines)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Decoded:
    policies: list[Policy]  # ctx.policies when it was paired (a reload makes a new list)
    decision: Decision
    pairs: tuple[Paired, ...]
    fits: bool


class ShownDecisions:
    """The decision to show for a compose, and its history's entries."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._decoded: Kept[tuple[str, int, int], _Decoded] = Kept(DECISIONS_KEPT)
        self._changes: Kept[tuple[str, int], Changes] = Kept(CHANGES_KEPT)
        self._types: Kept[tuple[str, int], AnswerTypes] = Kept(TYPES_KEPT)
        self._facts: Kept[tuple[str, int], tuple[list[Policy], Facts, datetime]] = Kept(FACTS_KEPT)

    def shown(
        self,
        tx: Tx,
        compose: Compose,
        version: int | None,
        payload: Payloads,
        now: datetime,
        *,
        owed: bool | None = None,
        expiring: Expiring | None = None,
    ) -> Shown:
        """The decision to show for a compose whose latest stored version is ``version``
        (None: none yet), ``payload`` reading that version's JSON when it is needed.
        ``owed``: whether a redecide of it waits in the outbox; ``expiring``: the instants
        its waivers and known issues expire (each read when not given)."""
        everyone = self.ctx.policies
        policies = applicable(compose, everyone)
        if not policies:
            reason = f"no policy applies to {compose.product} {compose.type} composes"
            return Shown(None, reason, version, False)
        # a version's answers may name newer results since (amended, not a new version)
        state = tx.decision_state(compose.id) if version else None
        amended = state.amended if state is not None else 0
        stored = self._decode(compose, (version, amended), payload, everyone, policies)
        if owed is None:
            owed = tx.redecide_owed(compose.id)
        if (
            stored is not None
            and stored.fits
            and not owed
            and not self._moved(tx, policies, compose, stored.decision.evaluated_at, now, expiring)
        ):
            return Shown(stored.decision, None, version, True, stored.pairs)
        fresh = self._what_if(tx, compose, now)
        if fresh is None:  # the policies changed under us: no policy applies after all
            return Shown(None, "no policy applies", version, False)
        if stored is not None and _content(stored.decision) == _content(fresh):
            return Shown(stored.decision, None, version, True, stored.pairs)
        return Shown(fresh, None, version, False, tuple(pair_answers(policies, fresh, compose)))

    def forget(self) -> None:
        """Drop the decisions and changes kept."""
        self._decoded.clear()
        self._changes.clear()
        self._types.clear()
        self._facts.clear()

    def facts(
        self,
        tx: Tx,
        compose: Compose,
        version: int | None,
        payload: Payloads,
        now: datetime,
        *,
        owed: bool | None = None,
        expiring: Expiring | None = None,
    ) -> Facts:
        """What a list row says of :meth:`shown`: kept per stored version, so a list of
        big composes does not decode thousands of answers per row on every page."""
        kept = self._facts.get((compose.id, version)) if version else None
        if owed is None:
            owed = tx.redecide_owed(compose.id)
        if kept is not None and kept[0] is self.ctx.policies and not owed:
            policies = applicable(compose, kept[0])
            if not self._moved(tx, policies, compose, kept[2], now, expiring):
                return kept[1]
        shown = self.shown(tx, compose, version, payload, now, owed=owed, expiring=expiring)
        found = facts_of(shown)
        if shown.stored and version and shown.decision is not None:
            self._facts.put((compose.id, version),
                            (self.ctx.policies, found, shown.decision.evaluated_at))  # fmt: skip
        return found

    def known(self, compose_id: str, version: int | None) -> bool:
        """Whether the row facts of that stored version are kept (its JSON need not be
        read for a list row)."""
        kept = self._facts.get((compose_id, version)) if version else None
        return kept is not None and kept[0] is self.ctx.policies

    def _decode(
        self,
        compose: Compose,
        revision: tuple[int | None, int],
        payload: Payloads,
        everyone: list[Policy],
        policies: Sequence[Policy],
    ) -> _Decoded | None:
        version, amended = revision
        if not version:
            return None
        key = (compose.id, version, amended)
        kept = self._decoded.get(key)
        if kept is not None and kept.policies is everyone:
            return kept
        data = payload()
        if data is None:
            return None
        decision = Decision.from_json(data)
        pairs = tuple(pair_answers(policies, decision, compose))
        decoded = _Decoded(everyone, decision, pairs, fits(decision, policies, pairs))
        self._decoded.put(key, decoded)
        return decoded

    @staticmethod
    def _moved(
        tx: Tx, policies: Sequence[Policy], compose: Compose, then: datetime, now: datetime,
        expiring: Expiring | None,
    ) -> bool:  # fmt: skip
        """Whether time alone may have moved a decision evaluated at ``then``: a deadline
        passed, or a waiver or known issue expired, since."""
        if time_moved(policies, compose, then, now):
            return True
        if expiring is None:
            expiring = expiries(tx, [compose]).get(compose.id, ())
        return bool(expired_between(expiring, then, now))

    def _what_if(self, tx: Tx, compose: Compose, now: datetime) -> Decision | None:
        policies = self.ctx.policies
        gated = gated_testcases(compose, policies)
        results = tx.latest_results(compose.id, gated)
        known = tx.known_issues(testcases=gated, include_closed=False)
        reruns = tx.reruns_for(compose.id, testcases=gated)
        try:
            return evaluate(compose, policies, results, tx.waivers_for(compose.id), now,
                            known_issues=known, reruns=reruns)  # fmt: skip
        except NoPolicyApplies:
            return None

    # -- history ---------------------------------------------------------------------------
    def history(
        self,
        compose_id: str,
        rows: Sequence[Mapping[str, Any]],
        with_changes: int,
        payloads: PayloadReader,
    ) -> tuple[HistoryEntry, ...]:
        """History entries of the compose's decision rows (newest first, without their
        JSON); the newest ``with_changes`` say what changed since the version before."""
        changes: dict[int, Changes] = {}
        missing = []
        for row in rows[:with_changes]:
            version = int(row["version"])
            kept = self._changes.get((compose_id, version))
            if kept is not None:
                changes[version] = kept
            else:
                missing.append(version)
        if missing:
            types = self._types_of(compose_id, {v for m in missing for v in (m, m - 1) if v},
                                   payloads)  # fmt: skip
            for version in missing:
                if version not in types or (version > 1 and version - 1 not in types):
                    continue  # not stored (cannot happen in one transaction)
                found = answer_changes(types.get(version - 1), types[version])
                self._changes.put((compose_id, version), found)
                changes[version] = found
        return tuple(history_entry(row, changes.get(int(row["version"]))) for row in rows)

    def _types_of(
        self, compose_id: str, versions: set[int], payloads: PayloadReader
    ) -> dict[int, AnswerTypes]:
        types: dict[int, AnswerTypes] = {}
        for version in versions:
            kept = self._types.get((compose_id, version))
            if kept is not None:
                types[version] = kept
        read = payloads.read(versions - types.keys())
        for version, payload in read.items():
            types[version] = answer_types(payload)
            self._types.put((compose_id, version), types[version])
        return types


class PayloadReader:
    """The Decision JSON of a compose's stored versions, each read at most once (one
    page's reads: the decision shown and its history share them)."""

    def __init__(self, tx: Tx, compose_id: str) -> None:
        self._tx = tx
        self._compose_id = compose_id
        self._read: dict[int, dict[str, Any]] = {}

    def read(self, versions: Collection[int]) -> dict[int, dict[str, Any]]:
        unread = [v for v in versions if v not in self._read]
        if unread:
            self._read.update(self._tx.decision_payloads(self._compose_id, unread))
        return {v: self._read[v] for v in versions if v in self._read}

    def one(self, version: int | None) -> dict[str, Any] | None:
        return self.read([version]).get(version) if version else None


def _content(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in decision.to_json().items() if k != "evaluated_at"}
