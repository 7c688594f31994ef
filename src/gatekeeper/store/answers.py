"""Queries on a compose's decision state: the latest result of each key, the current
decision's answers (one row per requirement), their tally, and the versions as changes.

What deciding again after a report reads is what the report touched: the latest results
and answers of a few testcases (an index each), never the compose's whole history.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from gatekeeper.model import Answer, Result
from gatekeeper.model.decisions import DETAIL_FIELDS
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.store.decision_history import Replayer
from gatekeeper.store.results import NO_DATA, RESULT_COLUMNS_WITHOUT_DATA, results_of_rows

_IN_CHUNK = 500
_ANSWER_COLUMNS = ("type", "team", "testcase", "required", "is_satisfied", "scenario", "arch",
                   "variant", "result_id", "ref_url", "waiver_id")  # fmt: skip


_UPSERTS: dict[str, Any] = {}  # put_answers' statement, by dialect


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    items = sorted(set(values))
    return [items[i : i + _IN_CHUNK] for i in range(0, len(items), _IN_CHUNK)]


class AnswerQueries(TxBase):
    # -- the latest result of each key --------------------------------------------------
    def latest_results(self, compose_id: str, testcases: Collection[str] | None) -> list[Result]:
        """The latest result of each key of the compose (of ``testcases`` only, when given),
        without ``data``, in the order they were stored."""
        r, lr = t.results.c, t.latest_results.c
        stmt = (
            sa.select(*RESULT_COLUMNS_WITHOUT_DATA)
            .select_from(t.latest_results.join(t.results, r.id == lr.result_id))
            .where(lr.compose_id == compose_id)
        )
        if testcases is None:
            rows = list(self._conn.execute(stmt))
        else:
            rows = [row for chunk in _chunks(testcases)
                    for row in self._conn.execute(stmt.where(lr.testcase.in_(chunk)))]  # fmt: skip
        rows.sort(key=lambda row: row[0])
        return results_of_rows(compose_id, rows, NO_DATA)

    # -- the current decision's answers ---------------------------------------------------
    def answers_of(
        self, compose_id: str, *, testcases: Collection[str] | None = None
    ) -> dict[int, Answer]:
        """The current decision's answers by ordinal (of ``testcases`` only, when given)."""
        a = t.decision_answers.c
        stmt = sa.select(a.ordinal, *(a[name] for name in _ANSWER_COLUMNS), a.detail).where(
            a.compose_id == compose_id
        )
        if testcases is None:
            rows = list(self._conn.execute(stmt))
        else:
            rows = [row for chunk in _chunks(testcases)
                    for row in self._conn.execute(stmt.where(a.testcase.in_(chunk)))]  # fmt: skip
        names = ("ordinal", *_ANSWER_COLUMNS, "detail")
        out: dict[int, Answer] = {}
        for row in rows:
            values = dict(zip(names, row, strict=True))
            n = int(values.pop("ordinal"))
            values["required"] = bool(values["required"])
            values["is_satisfied"] = bool(values["is_satisfied"])
            detail = values.pop("detail") or {}
            out[n] = Answer(**values, **{k: detail[k] for k in DETAIL_FIELDS if k in detail})
        return out

    def put_answers(
        self, compose_id: str, answers: Mapping[int, Answer], *, replace: bool = False
    ) -> None:
        """Store these answers (by ordinal): in place of the same ordinals' answers, or in
        place of all of the compose's (``replace``)."""
        a = t.decision_answers
        rows = [{"compose_id": compose_id, "ordinal": n, "detail": answer.detail(),
                 **{name: getattr(answer, name) for name in _ANSWER_COLUMNS}}
                for n, answer in answers.items()]  # fmt: skip
        if replace:
            self._conn.execute(sa.delete(a).where(a.c.compose_id == compose_id))
            if rows:
                self._conn.execute(sa.insert(a), rows)
            return
        if not rows:
            return
        stmt = _UPSERTS.get(self.dialect)
        if stmt is None:  # built once per dialect: building costs more than running it
            ins = self._insert(a)
            excluded = ins.excluded
            stmt = _UPSERTS[self.dialect] = ins.on_conflict_do_update(
                index_elements=[a.c.compose_id, a.c.ordinal],
                set_={name: excluded[name] for name in (*_ANSWER_COLUMNS, "detail")},
            )
        self._conn.execute(stmt, rows)

    def set_decision_state(
        self, compose_id: str, state: Mapping[str, Any], *, version: int | None = None
    ) -> None:
        """Keep the compose's decision state (and its new decision version, when given)."""
        values: dict[str, Any] = {"decision_state": dict(state)}
        if version is not None:
            values["decision_version"] = version
        self._conn.execute(
            sa.update(t.composes).where(t.composes.c.id == compose_id).values(**values)
        )

    def open_decision_clocks(self) -> list[dict[str, Any]]:
        """The composes still gated (announced, proposed, promoted): ``id``, ``product``,
        ``type``, ``date``, ``respin``, ``announced_at``, ``label``, ``decision_state``."""
        c = t.composes.c
        stmt = sa.select(c.id, c.product, c.type, c.date, c.respin, c.announced_at, c.label,
                         c.decision_state).where(
            c.state.in_(("announced", "proposed", "promoted")))  # fmt: skip
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    # -- versions ---------------------------------------------------------------------------
    def add_decision_version(
        self,
        compose_id: str,
        version: int,
        *,
        verdict: str,
        summary: str,
        evaluated_at: datetime,
        created_at: datetime,
        cause: Mapping[str, Any] | None,
        payload: Mapping[str, Any] | None,
        delta: Mapping[str, Any],
    ) -> None:
        """Store one version: a snapshot (``payload``) or a change (``delta`` only)."""
        self._conn.execute(
            sa.insert(t.decisions).values(
                compose_id=compose_id, version=version, verdict=verdict, summary=summary,
                payload=sa.null() if payload is None else dict(payload), delta=dict(delta),
                evaluated_at=evaluated_at, created_at=created_at,
                cause=None if cause is None else dict(cause),
            )
        )  # fmt: skip

    def replayed(
        self, compose_id: str, versions: Collection[int] | None = None,
        *, replayer: Replayer | None = None,
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:  # fmt: skip
        """Stored versions (all, or ``versions``) with their Decision JSON, oldest first:
        each rebuilt from the snapshot before it and the changes after that. A
        ``replayer`` that already stands before the first wanted version goes on from
        there (reading only the rows after it); else it starts again at a snapshot."""
        d = t.decisions.c
        columns = (d.version, d.verdict, d.summary, d.payload, d.delta, d.evaluated_at,
                   d.created_at, d.cause)  # fmt: skip
        stmt = sa.select(*columns).where(d.compose_id == compose_id)
        wanted: set[int] | None = None
        replayer = replayer or Replayer(compose_id)
        if versions is not None:
            wanted = set(versions)
            if not wanted:
                return []
            if 0 < replayer.version < min(wanted):
                start = replayer.version + 1
            else:
                first = sa.select(sa.func.max(d.version)).where(
                    d.compose_id == compose_id, d.payload.is_not(None), d.version <= min(wanted)
                )
                start = self._conn.execute(first).scalar_one_or_none() or 1
            stmt = stmt.where(d.version >= start, d.version <= max(wanted))
        rows = [dict(row) for row in self._conn.execute(stmt.order_by(d.version)).mappings()]
        return [(dict(row), payload) for row, payload in replayer.apply(rows, wanted)]
