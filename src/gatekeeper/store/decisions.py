"""Queries on waivers and on the decisions taken: what, besides results, decides a compose."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import InputError
from gatekeeper.evaluate import DecisionState, assemble
from gatekeeper.model import Decision, Waiver
from gatekeeper.store import tables as t
from gatekeeper.store.answers import AnswerQueries


class DecisionQueries(AnswerQueries):
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
                expires=waiver.expires,
                bug=waiver.bug,
            )
            .returning(t.waivers.c.id)
        )
        db_id = self._conn.execute(stmt).scalar_one()
        return replace(waiver, id=str(db_id), time=t.to_utc(waiver.time))

    def waivers_for(
        self, compose_id: str, *, testcases: Collection[str] | None = None
    ) -> list[Waiver]:
        """All waivers (and revocations) of the compose (of ``testcases`` only, when
        given), in the order they were stored."""
        c = t.waivers.c
        stmt = (
            sa.select(
                c.id,
                c.testcase,
                c.time,
                c.scenario,
                c.arch,
                c.waived,
                c.comment,
                c.username,
                c.expires,
                c.bug,
            )
            .where(c.compose_id == compose_id)
            .order_by(c.id)
        )
        if testcases is not None:
            stmt = stmt.where(c.testcase.in_(sorted(set(testcases))))
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
                expires=expires,
                bug=bug,
            )
            for db_id, testcase, time, scenario, arch, waived, comment, username, expires, bug in (
                self._conn.execute(stmt)
            )
        ]

    def current_decision(self, compose_id: str) -> Decision | None:
        """The compose's stored decision as it stands: its latest version, naming the latest
        results (a result that only replaced the passing one makes no version), with that
        version's evaluation time. None before the first version."""
        stmt = sa.select(t.composes.c.decision_state, t.composes.c.decision_version).where(
            t.composes.c.id == compose_id
        )
        found = self._conn.execute(stmt).first()
        if found is None or not found[1]:
            return None
        if found[0] is None:  # versions from before decision states: the latest, replayed
            [(_, payload)] = self.replayed(compose_id, [int(found[1])])
            return Decision.from_json(payload)
        state = DecisionState.from_json(found[0])
        answers = self.answers_of(compose_id)
        return assemble(compose_id, state.names, answers, state.evaluated_at, state.counts)

    def decision_state(self, compose_id: str) -> DecisionState | None:
        stmt = sa.select(t.composes.c.decision_state).where(t.composes.c.id == compose_id)
        found = self._conn.execute(stmt).scalar_one_or_none()
        return None if found is None else DecisionState.from_json(found)

    def latest_decision(self, compose_id: str) -> dict[str, Any] | None:
        """The newest decision: its version's ``version``, ``verdict``, ``summary``,
        ``evaluated_at``, ``created_at``, ``cause``, and as ``payload`` the Decision JSON of
        :meth:`current_decision`."""
        d = t.decisions.c
        columns = (d.version, d.verdict, d.summary, d.evaluated_at, d.created_at, d.cause)
        stmt = (
            sa.select(*columns)
            .join(
                t.composes,
                sa.and_(
                    t.composes.c.id == d.compose_id, t.composes.c.decision_version == d.version
                ),
            )
            .where(d.compose_id == compose_id)
        )
        row = self._conn.execute(stmt).mappings().first()
        if row is None:
            return None
        decision = self.current_decision(compose_id)
        assert decision is not None
        return {**row, "payload": decision.to_json()}

    def decision_history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every stored decision of the compose, oldest first: ``version``, ``verdict``,
        ``summary``, ``payload`` (its Decision JSON), ``evaluated_at``, ``created_at``,
        ``cause``."""
        return [{**{k: v for k, v in row.items() if k != "delta"}, "payload": payload}
                for row, payload in self.replayed(compose_id)]  # fmt: skip
