"""Queries on waivers and on the decisions taken: what, besides results, decides a compose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import InputError
from gatekeeper.model import Decision, Waiver
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.store.result_keys import canonical_json as _canonical_json
from gatekeeper.timeutil import utcnow

_DECISION_COLUMNS = (
    t.decisions.c.version,
    t.decisions.c.verdict,
    t.decisions.c.summary,
    t.decisions.c.payload,
    t.decisions.c.evaluated_at,
    t.decisions.c.created_at,
    t.decisions.c.cause,
)


def _decision_content(payload: Mapping[str, Any]) -> str:
    """A decision's JSON without its evaluation time: what makes it a new version."""
    return _canonical_json({k: v for k, v in payload.items() if k != "evaluated_at"})


class DecisionQueries(TxBase):
    def add_waiver(self, waiver: Waiver) -> Waiver:
        """Store a waiver (its ``id`` is ignored); returns it with its database id."""
        if not waiver.comment or not waiver.username:
            raise InputError(
                f"waiver of {waiver.testcase} for {waiver.compose}: "
                "a waiver needs a comment and the name of who waives"
            )
        stmt = (
            sa.insert(t.waivers)
            .values(
                compose_id=waiver.compose,
                testcase=waiver.testcase,
                scenario=waiver.scenario,
                arch=waiver.arch,
                waived=waiver.waived,
                comment=waiver.comment,
                username=waiver.username,
                time=waiver.time,
            )
            .returning(t.waivers.c.id)
        )
        db_id = self._conn.execute(stmt).scalar_one()
        return replace(waiver, id=str(db_id), time=t.to_utc(waiver.time))

    def waivers_for(self, compose_id: str) -> list[Waiver]:
        """All waivers (and revocations) of the compose, in the order they were stored."""
        c = t.waivers.c
        stmt = (
            sa.select(c.id, c.testcase, c.time, c.scenario, c.arch, c.waived, c.comment, c.username)
            .where(c.compose_id == compose_id)
            .order_by(c.id)
        )
        return [
            Waiver(
                id=str(db_id),
                compose=compose_id,
                testcase=testcase,
                time=time,
                scenario=scenario,
                arch=arch,
                waived=waived,
                comment=comment,
                username=username,
            )
            for db_id, testcase, time, scenario, arch, waived, comment, username in (
                self._conn.execute(stmt)
            )
        ]

    def record_decision(
        self,
        decision: Decision,
        cause: Mapping[str, Any] | None = None,
        *,
        locked: tuple[Mapping[str, Any], Mapping[str, Any] | None] | None = None,
    ) -> int | None:
        """Store the decision if it differs from the latest one (``evaluated_at`` aside).

        ``cause`` says what made this version (results, a waiver, the clock): kept with it.

        Returns the new version (the compose's ``decision_version`` plus one, which is
        updated too), or None when nothing changed. Locks the compose's row, so
        concurrent writers get consecutive versions; a caller already holding the lock
        passes ``locked=(its compose row, the latest decision it read)``.
        """
        latest: Mapping[str, Any] | None
        if locked is None:
            compose: Mapping[str, Any] = self._lock_compose_row(decision.compose)
            latest = self.latest_decision(decision.compose)
        else:
            compose, latest = locked
        payload = decision.to_json()
        if latest is not None and _decision_content(latest["payload"]) == _decision_content(
            payload
        ):
            return None
        version = int(compose["decision_version"]) + 1
        now = utcnow()
        self._conn.execute(
            sa.update(t.composes)
            .where(t.composes.c.id == decision.compose)
            .values(decision_version=version, updated_at=now)
        )
        self._conn.execute(
            sa.insert(t.decisions).values(
                compose_id=decision.compose,
                version=version,
                verdict=decision.verdict,
                summary=decision.summary,
                payload=payload,
                evaluated_at=decision.evaluated_at,
                created_at=now,
                cause=dict(cause) if cause is not None else None,
            )
        )
        return version

    def is_latest_decision(self, decision: Decision) -> bool:
        """Whether ``decision`` is what the latest stored version says (``evaluated_at`` aside)."""
        latest = self.latest_decision(decision.compose)
        return latest is not None and _decision_content(latest["payload"]) == _decision_content(
            decision.to_json()
        )

    def latest_decision(self, compose_id: str) -> dict[str, Any] | None:
        """The newest stored decision: version, verdict, summary, payload, times."""
        stmt = (
            sa.select(*_DECISION_COLUMNS)
            .where(t.decisions.c.compose_id == compose_id)
            .order_by(t.decisions.c.version.desc())
            .limit(1)
        )
        row = self._conn.execute(stmt).mappings().first()
        return dict(row) if row is not None else None

    def decision_history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every stored decision of the compose, oldest first."""
        stmt = (
            sa.select(*_DECISION_COLUMNS)
            .where(t.decisions.c.compose_id == compose_id)
            .order_by(t.decisions.c.version)
        )
        return [dict(row) for row in self._conn.execute(stmt).mappings()]
