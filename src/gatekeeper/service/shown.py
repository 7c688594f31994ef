"""Which decision a page shows, and its history, with what is kept between pages.

The decision shown is the compose's latest stored version while it is current: the
same policies apply, each answer has its own requirement (the policies were not changed
since), no ``redecide`` of it waits in the outbox (results stored, not yet decided) and no
deadline instant, nor the expiry of a waiver or known issue, lies between its evaluation
and now. Otherwise it is the engine's what-if
at the service clock, from what the engine reads when it decides (results, waivers,
known issues, rerun requests). Either way it is what
``GET /api/v1/composes/{id}/decision`` answers at that moment, answer for answer.

The latest stored version is read as it stands (the store's current answers: a newer
result that kept an answer's type is named without a new version; :meth:`current`). What
is derived from it is kept (:mod:`~gatekeeper.service.view_cache`) by version and by how
often it was amended so: showing it again decodes nothing, and a new version reads the
answers of the testcases its version rows changed, reusing the others and their pairs
with the gates (the same objects, so their cells are reused too). What changed since the
version before is kept per version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate import (
    assemble,
    evaluate,
    gated_testcases,
    summary_of,
    verdict_of_tally,
)
from gatekeeper.model import Answer, Compose, Decision, Policy, Verdict
from gatekeeper.service.context import Context
from gatekeeper.service.decision_inputs import expired_between, expiries
from gatekeeper.service.history_views import Changes, ChangeTracker, history_entry
from gatekeeper.service.matrix import (
    Paired,
    RowCounts,
    applicable,
    fits,
    pair_answers,
    repaired,
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
TRACKERS_KEPT = 8
"""Composes whose history tracker is kept (it holds a decision's answers: a few MB)."""
FACTS_KEPT = 4096
"""Versions whose list row facts are kept (a few numbers and names each)."""

Read = Callable[[], Decision | None]  # the latest stored version, decoded, as it stands
Expiring = Sequence[tuple[datetime, str]]  # the instants a compose's waivers etc. expire


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
    teams: tuple[tuple[str, str], ...] = ()  # (team, its most pressing unsatisfied state)

    def next_deadline(self, now: datetime) -> datetime | None:
        return next((d for d in self.deadlines if d > now), None)


def facts_of(shown: Shown) -> Facts:
    if shown.decision is None:
        return Facts(None, None, shown.undecided, shown.version)
    counts: RowCounts = row_counts(shown.pairs)
    decision = shown.decision
    return Facts(decision.verdict, decision.summary, None, shown.version, counts.satisfied,
                 counts.required, counts.waiting_for, counts.deadlines, counts.teams)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Answers:
    """A compose's current answers by ordinal as read at a version (and amended count)."""

    version: int
    amended: int
    names: tuple[str, ...]
    answers: dict[int, Answer]
    order: tuple[int, ...]  # the ordinals in the decision's order


def _place(answer: Answer) -> tuple[Any, ...]:
    """What orders an answer in a decision (besides its ordinal)."""
    return (answer.team, answer.testcase, answer.scenario, answer.arch, answer.variant)


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
        self._last: Kept[str, _Decoded] = Kept(DECISIONS_KEPT)  # by compose: the newest
        self._changes: Kept[tuple[str, int], Changes] = Kept(CHANGES_KEPT)
        self._trackers: Kept[str, ChangeTracker] = Kept(TRACKERS_KEPT)
        self._touched: Kept[tuple[str, int], frozenset[str]] = Kept(CHANGES_KEPT)
        self._answers: Kept[str, _Answers] = Kept(DECISIONS_KEPT)  # by compose
        self._facts: Kept[tuple[str, int], tuple[list[Policy], Facts, datetime]] = Kept(FACTS_KEPT)

    def shown(
        self,
        tx: Tx,
        compose: Compose,
        version: int | None,
        read: Read,
        now: datetime,
        *,
        owed: bool | None = None,
        expiring: Expiring | None = None,
        amended: int | None = None,
    ) -> Shown:
        """The decision to show for a compose whose latest stored version is ``version``
        (None: none yet), ``read`` decoding it when it is needed. ``owed``: whether a
        redecide of it waits in the outbox; ``expiring``: the instants its waivers and
        known issues expire; ``amended``: how often its answers came to name newer results
        (each read when not given)."""
        everyone = self.ctx.policies
        policies = applicable(compose, everyone)
        if not policies:
            reason = f"no policy applies to {compose.product} {compose.type} composes"
            return Shown(None, reason, version, False)
        if amended is None:
            state = tx.decision_state(compose.id) if version else None
            amended = state.amended if state is not None else 0
        stored = self._decode(compose, (version, amended), read, everyone, policies)
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
        self._last.clear()
        self._changes.clear()
        self._trackers.clear()
        self._touched.clear()
        self._answers.clear()
        self._facts.clear()

    def facts(
        self,
        tx: Tx,
        compose: Compose,
        version: int | None,
        read: Read,
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
        shown = self.shown(tx, compose, version, read, now, owed=owed, expiring=expiring)
        found = facts_of(shown)
        if shown.stored and version and shown.decision is not None:
            self._facts.put((compose.id, version),
                            (self.ctx.policies, found, shown.decision.evaluated_at))  # fmt: skip
        return found

    def current(self, tx: Tx, compose_id: str, version: int | None) -> Decision | None:
        """The compose's latest stored version as it stands (what
        :meth:`~gatekeeper.store.Tx.current_decision` reads): after the answers read at an
        earlier version, only those of the testcases that the versions since changed
        (:meth:`history` notes them) are read again, when no answer came to name a newer
        result meanwhile (the amended count is the same); else every answer."""
        state = tx.decision_state(compose_id) if version else None
        if state is None or not version:
            return tx.current_decision(compose_id)
        names = tuple(state.names)
        kept = self._answers.get(compose_id)
        changed = None
        if kept is not None and (kept.amended, kept.names) == (state.amended, names):
            changed = self._changed(compose_id, kept.version, version)
        if kept is None or changed is None:
            answers, order = tx.answers_of(compose_id), None
        else:
            answers = {n: a for n, a in kept.answers.items() if a.testcase not in changed}
            read = tx.answers_of(compose_id, testcases=changed) if changed else {}
            answers.update(read)
            in_place = answers.keys() == kept.answers.keys() and all(
                _place(a) == _place(kept.answers[n]) for n, a in read.items()
            )
            order = kept.order if in_place else None  # every answer in its place: it stands
        if order is None:
            decision = assemble(compose_id, names, answers, state.evaluated_at, state.counts)
            where = {id(a): n for n, a in answers.items()}
            order = tuple(where[id(a)] for a in decision.answers)
        else:
            decision = Decision(compose_id, verdict_of_tally(state.counts),
                                summary_of(state.counts), names,
                                tuple(answers[n] for n in order), state.evaluated_at)  # fmt: skip
        self._answers.put(compose_id, _Answers(version, state.amended, names, answers, order))
        return decision

    def _changed(self, compose_id: str, since: int, version: int) -> frozenset[str] | None:
        """The testcases the versions after ``since`` up to ``version`` changed (None: one
        of them is not known)."""
        if since > version:
            return None
        found: frozenset[str] = frozenset()
        for v in range(since + 1, version + 1):
            touched = self._touched.get((compose_id, v))
            if touched is None:
                return None
            found |= touched
        return found

    def _decode(
        self,
        compose: Compose,
        revision: tuple[int | None, int],
        read: Read,
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
        decision = read()
        if decision is None:
            return None
        last = self._last.get(compose.id)
        before = last.pairs if last is not None and last.policies is everyone else None
        decision, pairs = repaired(before, decision, policies, compose)
        decoded = _Decoded(everyone, decision, pairs, fits(decision, policies, pairs))
        self._decoded.put(key, decoded)
        self._last.put(compose.id, decoded)
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
        self, tx: Tx, compose_id: str, rows: Sequence[Mapping[str, Any]], with_changes: int
    ) -> tuple[HistoryEntry, ...]:
        """History entries of the compose's decision rows (newest first, without their
        JSON); the newest ``with_changes`` say what changed since the version before (what
        is not kept yet is replayed, by a tracker that goes on from where the compose's
        last one stood)."""
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
            first = min(missing)
            tracker = self._trackers.take(compose_id)
            wanted = missing  # it goes on from the version it stands at
            if tracker is None or not 0 < tracker.version < first:
                tracker = ChangeTracker(compose_id)  # from a snapshot before the one wanted
                wanted = [*missing, first - 1] if first > 1 else missing
            tx.replayed(compose_id, wanted, replayer=tracker)
            for version, found in tracker.changes.items():
                self._changes.put((compose_id, version), found)
            for version, testcases in tracker.touched.items():
                self._touched.put((compose_id, version), testcases)
            changes.update((v, tracker.changes[v]) for v in missing if v in tracker.changes)
            tracker.changes.clear()
            tracker.touched.clear()
            self._trackers.put(compose_id, tracker)
        return tuple(history_entry(row, changes.get(int(row["version"]))) for row in rows)


def _content(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in decision.to_json().items() if k != "evaluated_at"}
