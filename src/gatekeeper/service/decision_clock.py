"""Time moving the gate: when an open compose's decision changes by itself (a gate's
deadline, a waiver's or known issue's expiry), and deciding again then."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate import DecisionState
from gatekeeper.model import Compose
from gatekeeper.service.decision_inputs import expiries
from gatekeeper.timeutil import format_time

if TYPE_CHECKING:
    from gatekeeper.service.decisions import Decisions

log = logging.getLogger("gatekeeper.service")

_JUST_BEFORE = timedelta(microseconds=1)

Clock = tuple[Mapping[str, Any], Compose, Sequence[tuple[datetime, str]]]


class DecisionClock:
    """next_deadline and act_on_deadlines, for the deadline timer."""

    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions
        self.ctx = decisions.ctx

    def _clocks(self) -> list[Clock]:
        """Each open compose's row, the compose, and its expiry instants."""
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.open_decision_clocks()
            composes = [_compose(row) for row in rows]
            found = expiries(tx, composes, _since(rows))
        return [(row, c, found.get(c.id, ())) for row, c in zip(rows, composes, strict=True)]

    def next_deadline(self) -> datetime | None:
        """The earliest instant at which an open compose's decision changes by itself."""
        instants = [due[0] for due in (self._due(*clock) for clock in self._clocks())
                    if due is not None]  # fmt: skip
        return min(instants, default=None)

    def act_on_deadlines(self, now: datetime | None = None) -> list[str]:
        """Decide again (and record) every open compose one of whose deadlines or expiries
        has passed since its stored state; the ids of those decided. Each under the
        compose's lock, so processes doing it at once make one version (the later ones find
        it done)."""
        now = self.ctx.clock() if now is None else now
        acted = []
        for row, compose, instants in self._clocks():
            due = self._due(row, compose, instants)
            if due is None or not now > due[0]:
                continue
            _, instant, why = due
            try:
                with self.ctx.step() as (tx, _undo, owed):
                    locked = self.ctx.lock(tx, row["id"])
                    cause = {why: format_time(instant) if why == "clock" else "changed"}
                    version, verdict = self.decisions.record(tx, locked, now, owed, cause,
                                                             touched=())  # fmt: skip
            except Exception:
                log.exception("action=decide cause=%s compose=%s outcome=failed", why, row["id"])
                continue
            log.info("action=decide cause=%s compose=%s at=%s version=%s verdict=%s",
                     why, row["id"], format_time(instant), version, verdict)  # fmt: skip
            acted.append(str(row["id"]))
        return acted

    def _due(
        self, row: Mapping[str, Any], compose: Compose, instants: Sequence[tuple[datetime, str]]
    ) -> tuple[datetime, datetime, str] | None:
        """When the compose of an open row must be decided again without a report (it is
        once the time is after the first instant), the instant to name, and why
        (``clock``: a deadline or an expiry; ``policies``: its stored decision is of
        other policies, or of none, so at once); None: never."""
        try:
            the_plan = self.decisions.plan(compose)
        except NoPolicyApplies:
            return None
        raw = row.get("decision_state")
        state = None if raw is None else DecisionState.from_json(raw)
        if state is None or state.digest != the_plan.digest:
            at = compose.announced_at if state is None else state.valid_at
            return at, at, "policies"
        # a gate is late once the time is after its deadline; a waiver no longer counts
        # from its expiry on
        due = [(instant, instant) for instant, _ in the_plan.deadlines(compose.announced_at)
               if instant >= state.valid_at]  # fmt: skip
        due += [(e - _JUST_BEFORE, e) for e, _ in instants if e > state.valid_at]
        if not due:
            return None
        after, instant = min(due)
        return after, instant, "clock"


def _compose(row: Mapping[str, Any]) -> Compose:
    return Compose(id=row["id"], product=row["product"], type=row["type"], date=row["date"],
                   respin=row["respin"], announced_at=row["announced_at"],
                   label=row["label"])  # fmt: skip


def _since(rows: Sequence[Mapping[str, Any]]) -> datetime | None:
    """The earliest instant an open compose's stored decision holds true from (None: one
    has none yet): an expiry before it changes nothing any more."""
    instants = []
    for row in rows:
        raw = row.get("decision_state")
        if raw is None:
            return None
        instants.append(DecisionState.from_json(raw).valid_at)
    return min(instants, default=None)
