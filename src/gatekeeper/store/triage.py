"""Queries on known issues, their uses, rerun requests and the instants waivers expire."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from gatekeeper.model import KnownIssue, RerunRequest
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase

_ISSUE_COLUMNS = ("product", "testcase", "scenario", "arch", "bug", "comment", "username",
                  "created_at", "expires", "closed_at", "closed_by")  # fmt: skip
_RERUN_COLUMNS = ("testcase", "scenario", "arch", "variant", "time", "after", "username",
                  "reason", "automatic", "retry", "retries")  # fmt: skip


def _issue(row: sa.RowMapping | Mapping[str, Any]) -> KnownIssue:
    return KnownIssue(id=str(row["id"]), **{name: row[name] for name in _ISSUE_COLUMNS})


def _rerun(row: sa.RowMapping | Mapping[str, Any]) -> RerunRequest:
    values = {name: row[name] for name in _RERUN_COLUMNS}
    values["automatic"] = bool(values["automatic"])
    return RerunRequest(id=str(row["id"]), compose=str(row["compose_id"]), **values)


class TriageQueries(TxBase):
    # -- known issues ------------------------------------------------------------------------
    def add_known_issue(self, issue: KnownIssue) -> KnownIssue:
        """Store a known issue (its ``id`` is ignored); returns it with its database id."""
        stmt = (
            sa.insert(t.known_issues)
            .values(**{name: getattr(issue, name) for name in _ISSUE_COLUMNS})
            .returning(t.known_issues.c.id)
        )
        return replace(issue, id=str(self._conn.execute(stmt).scalar_one()))

    def known_issue(self, issue_id: str) -> KnownIssue | None:
        if not issue_id.isdigit() or len(issue_id) > 18:
            return None
        stmt = sa.select(t.known_issues).where(t.known_issues.c.id == int(issue_id))
        row = self._conn.execute(stmt).mappings().first()
        return None if row is None else _issue(row)

    def known_issues(
        self, *, testcases: Collection[str] | None = None, include_closed: bool = True,
        live_after: datetime | None = None, expiring: bool = False,
        expiring_by: datetime | None = None,
    ) -> list[KnownIssue]:  # fmt: skip
        """Known issues, oldest first (of ``testcases`` only, when given; the closed ones
        too unless ``include_closed`` is False; those expiring by ``live_after`` left out;
        ``expiring``: only those with an expiry, by ``expiring_by`` when given)."""
        k = t.known_issues.c
        stmt = sa.select(t.known_issues).order_by(k.id)
        if live_after is not None:
            stmt = stmt.where(sa.or_(k.expires.is_(None), k.expires > live_after))
        if expiring:
            stmt = stmt.where(k.expires.is_not(None))
        if expiring_by is not None:
            stmt = stmt.where(k.expires <= expiring_by)
        if testcases is not None:
            stmt = stmt.where(k.testcase.in_(sorted(set(testcases))))
        if not include_closed:
            stmt = stmt.where(k.closed_at.is_(None))
        return [_issue(row) for row in self._conn.execute(stmt).mappings()]

    def close_known_issue(self, issue_id: str, *, at: datetime, by: str) -> bool:
        """Close an open known issue; False when it was closed already."""
        k = t.known_issues.c
        done = self._conn.execute(
            sa.update(t.known_issues)
            .where(k.id == int(issue_id), k.closed_at.is_(None))
            .values(closed_at=at, closed_by=by)
        )
        return bool(done.rowcount)

    def mark_known_issues_used(
        self, compose_id: str, issue_ids: Iterable[str], at: datetime
    ) -> None:
        """Record that these known issues waived an answer of the compose (once each)."""
        u = t.known_issue_uses
        rows = [{"known_issue_id": int(i), "compose_id": compose_id, "first_used_at": at}
                for i in sorted(set(issue_ids))]  # fmt: skip
        if rows:
            ins = self._insert(u)
            self._conn.execute(ins.on_conflict_do_nothing(), rows)

    def known_issue_uses(self) -> dict[str, list[str]]:
        """Each known issue's composes (those it waived an answer of), by issue id."""
        u = t.known_issue_uses.c
        stmt = sa.select(u.known_issue_id, u.compose_id).order_by(u.first_used_at, u.compose_id)
        out: dict[str, list[str]] = {}
        for issue_id, compose_id in self._conn.execute(stmt):
            out.setdefault(str(issue_id), []).append(compose_id)
        return out

    # -- rerun requests ----------------------------------------------------------------------
    def add_rerun(self, request: RerunRequest) -> RerunRequest:
        """Store a rerun request (its ``id`` is ignored); returns it with its database id."""
        values = {name: getattr(request, name) for name in _RERUN_COLUMNS}
        stmt = (
            sa.insert(t.rerun_requests)
            .values(compose_id=request.compose, **values)
            .returning(t.rerun_requests.c.id)
        )
        return replace(request, id=str(self._conn.execute(stmt).scalar_one()))

    def reruns_for(
        self, compose_id: str, *, testcases: Collection[str] | None = None
    ) -> list[RerunRequest]:
        """The compose's rerun requests, oldest first (of ``testcases`` only, when given)."""
        r = t.rerun_requests.c
        stmt = sa.select(t.rerun_requests).where(r.compose_id == compose_id).order_by(r.id)
        if testcases is not None:
            stmt = stmt.where(r.testcase.in_(sorted(set(testcases))))
        return [_rerun(row) for row in self._conn.execute(stmt).mappings()]

    # -- what expires ------------------------------------------------------------------------
    def waiver_expiries(
        self, compose_ids: Collection[str], after: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[tuple[datetime, str]]]:  # fmt: skip
        """The instants the waivers of these composes expire (after ``after`` and by
        ``until``, when given), with their testcases, by compose (every waiver given
        ``expires``: one no longer counting costs a decision that changes nothing)."""
        w = t.waivers.c
        out: dict[str, list[tuple[datetime, str]]] = {}
        ids = sorted(set(compose_ids))
        for start in range(0, len(ids), 500):
            stmt = sa.select(w.compose_id, w.expires, w.testcase).where(
                w.compose_id.in_(ids[start : start + 500]), w.expires.is_not(None)
            )
            if after is not None:
                stmt = stmt.where(w.expires > after)
            if until is not None:
                stmt = stmt.where(w.expires <= until)
            for compose_id, expires, testcase in self._conn.execute(stmt):
                out.setdefault(compose_id, []).append((expires, testcase))
        return out
