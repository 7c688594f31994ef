"""Queries of the dashboard's pages: compose listings with their latest decision, the
decisions of several composes at once, the composes before one, results by id.

Every one reads only; each is one statement (or one per chunk of ids), so a page costs a
known number of round trips whatever the number of composes or answers on it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gatekeeper.model import Build, Result
from gatekeeper.store import tables as t
from gatekeeper.store.composes import _NAMES, _RPM_ARCHES
from gatekeeper.store.decisions import DecisionQueries
from gatekeeper.store.results import NO_DATA, RESULT_COLUMNS_WITHOUT_DATA, results_of_rows

_ID_CHUNK = 2000  # ids per IN (...)
REDECIDE_KIND = "redecide"  # the outbox kind of "decide this compose again"


def _utc(value: datetime) -> datetime:
    """:class:`~gatekeeper.store.tables.UTCDateTime`'s reading of a SQLite time's text."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    items = sorted(set(values))
    return [items[i : i + _ID_CHUNK] for i in range(0, len(items), _ID_CHUNK)]


class DashboardQueries(DecisionQueries):
    def compose_listing(
        self,
        *,
        limit: int,
        offset: int = 0,
        state: str | None = None,
        product: str | None = None,
        verdicts: Collection[str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Composes newest first (announcement, then id), each row with its latest stored
        decision's ``verdict``, ``summary`` and ``evaluated_at`` (None before the first;
        its JSON is :meth:`latest_decisions`') and its merge request (``mr_number``,
        ``mr_forge``, ``mr_state``; None before it is proposed). ``verdicts`` keeps the
        composes whose latest stored verdict is one of them (None in it: those without a
        decision)."""
        c, d, m = t.composes.c, t.decisions.c, t.merge_requests.c
        latest = sa.and_(d.compose_id == c.id, d.version == c.decision_version)
        stmt = (
            sa.select(
                t.composes,
                d.verdict,
                d.summary,
                d.evaluated_at,
                m.number.label("mr_number"),
                m.forge.label("mr_forge"),
                m.state.label("mr_state"),
            )
            .select_from(
                t.composes.outerjoin(t.decisions, latest).outerjoin(
                    t.merge_requests, m.compose_id == c.id
                )
            )
            .order_by(c.announced_at.desc(), c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        for column, value in ((c.state, state), (c.product, product)):
            if value is not None:
                stmt = stmt.where(column == value)
        if verdicts is not None:
            named = sorted(v for v in verdicts if v is not None)
            conditions = [d.verdict.in_(named)] if named else []
            if None in verdicts:
                conditions.append(d.verdict.is_(None))
            stmt = stmt.where(sa.or_(*conditions) if conditions else sa.false())
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def compose_products(self) -> list[str]:
        """The distinct products of the known composes, sorted."""
        c = t.composes.c
        stmt = sa.select(c.product).distinct().order_by(c.product)
        return [str(product) for product in self._conn.execute(stmt).scalars()]

    def decision_version_of(self, compose_id: str) -> int | None:
        """The compose's latest decision version (0: none yet); None for an unknown compose."""
        c = t.composes.c
        stmt = sa.select(c.decision_version).where(c.id == compose_id)
        found = self._conn.execute(stmt).scalar_one_or_none()
        return None if found is None else int(found)

    def decision_versions_of(self, compose_ids: Collection[str]) -> dict[str, int]:
        """The latest decision version of each of the composes that has one, by id."""
        c = t.composes.c
        found: dict[str, int] = {}
        for chunk in _chunks(compose_ids):
            stmt = sa.select(c.id, c.decision_version).where(
                c.id.in_(chunk), c.decision_version > 0
            )
            found.update((str(cid), int(version)) for cid, version in self._conn.execute(stmt))
        return found

    def latest_decisions(self, compose_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The latest stored decision (``version``, ``verdict``, ``payload``,
        ``evaluated_at``) of each of the composes that has one, by compose id."""
        found: dict[str, dict[str, Any]] = {}
        for compose_id in sorted(set(compose_ids)):
            latest = self.latest_decision(compose_id)
            if latest is not None:
                found[compose_id] = {"compose_id": compose_id, **latest}
        return found

    def decision_versions(self, compose_id: str, *, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The compose's newest ``limit`` stored decisions, newest first, without their JSON
        (``version``, ``verdict``, ``summary``, ``evaluated_at``, ``created_at``,
        ``cause``), and how many versions it has in all."""
        d = t.decisions.c
        columns = (d.version, d.verdict, d.summary, d.evaluated_at, d.created_at, d.cause)
        mine = d.compose_id == compose_id
        stmt = sa.select(*columns).where(mine).order_by(d.version.desc()).limit(limit)
        rows = [dict(row) for row in self._conn.execute(stmt).mappings()]
        count = sa.select(sa.func.count()).select_from(t.decisions).where(mine)
        return rows, int(self._conn.execute(count).scalar_one())

    def decision_payloads(
        self, compose_id: str, versions: Collection[int]
    ) -> dict[int, dict[str, Any]]:
        """The Decision JSON of these stored versions of the compose, by version."""
        return {int(row["version"]): payload
                for row, payload in self.replayed(compose_id, versions)}  # fmt: skip

    def compose_heads(self, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """The composes newest first (announcement, then id): ``id``, ``product``,
        ``type``, ``date``, ``respin``, ``announced_at``, ``label``, ``state``."""
        c = t.composes.c
        stmt = (
            sa.select(c.id, c.product, c.type, c.date, c.respin, c.announced_at, c.label, c.state)
            .order_by(c.announced_at.desc(), c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def composes_before(
        self, product: str, announced_at: datetime, compose_id: str, *, limit: int
    ) -> list[str]:
        """The ids of the product's composes announced before this one (same time: a
        smaller id), newest first, at most ``limit``."""
        c = t.composes.c
        earlier = sa.or_(
            c.announced_at < announced_at,
            sa.and_(c.announced_at == announced_at, c.id < compose_id),
        )
        stmt = (
            sa.select(c.id)
            .where(c.product == product, earlier)
            .order_by(c.announced_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [str(found) for found in self._conn.execute(stmt).scalars()]

    def result_rows(self, compose_id: str, ids: Collection[str]) -> dict[str, tuple[Any, ...]]:
        """What a page shows of the compose's results with these database ids, by id: a
        plain row each, ``(id, outcome, submit_time, reporter, ref_url, note, variant)``
        (thousands of them per page: no Result is built, and the ids are one parameter,
        a JSON array on SQLite and an array on PostgreSQL, not one each)."""
        c = t.results.c
        numeric = sorted({int(rid) for rid in ids if rid.isdigit()})
        if not numeric:
            return {}
        when: sa.ColumnElement[Any] = c.submit_time
        wanted: sa.ColumnElement[bool]
        if self.dialect == "postgresql":
            array = sa.bindparam("ids", numeric, type_=postgresql.ARRAY(sa.Integer))
            wanted = c.id == sa.any_(array)
        else:
            listed = sa.func.json_each(sa.bindparam("ids", json.dumps(numeric), type_=sa.Text))
            wanted = c.id.in_(sa.select(sa.literal_column("value")).select_from(listed))
            when = sa.type_coerce(c.submit_time, sa.String)  # parsed below, in C
        columns = (c.id, c.outcome, when, c.reporter, c.ref_url, c.note, c.variant)
        # by primary key only (SQLite would otherwise walk the compose's index), the
        # compose checked here
        stmt = sa.select(c.compose_id, *columns).where(wanted)
        found: dict[str, tuple[Any, ...]] = {}
        text = self.dialect != "postgresql"  # SQLite keeps UTC times as text without a zone
        parse = datetime.fromisoformat
        for cid, rid, outcome, stamp, reporter, ref_url, note, variant in self._conn.execute(
            stmt
        ).all():
            if cid == compose_id:
                at = _utc(parse(stamp)) if text else stamp
                found[str(rid)] = (rid, outcome, at, reporter, ref_url, note, variant)
        return found

    def team_results(self, team: str, compose_ids: Collection[str], *, limit: int) -> list[Result]:
        """The newest stored results (without ``data``) of the team's testcases (their
        scope) in these composes, newest first, at most ``limit``."""
        c = t.results.c
        columns = (c.compose_id, *RESULT_COLUMNS_WITHOUT_DATA)
        stmt = (
            sa.select(*columns)
            .where(c.scope == team, c.compose_id.in_(sorted(set(compose_ids))))
            .order_by(c.id.desc())
            .limit(limit)
        )
        out = []
        for compose_id, *row in self._conn.execute(stmt):
            out += results_of_rows(compose_id, [row], NO_DATA)
        return out

    def redecides_owed(self, compose_ids: Collection[str]) -> set[str]:
        """Those of the composes with a ``redecide`` waiting in the outbox (results stored
        and not decided yet): their stored decision may be behind."""
        o = t.outbox.c
        owed: set[str] = set()
        for chunk in _chunks(compose_ids):
            stmt = (
                sa.select(o.compose_id)
                .distinct()
                .where(
                    o.compose_id.in_(chunk),
                    o.kind == REDECIDE_KIND,
                    o.delivered_at.is_(None),
                    o.dead_at.is_(None),
                )
            )
            owed.update(str(found) for found in self._conn.execute(stmt).scalars())
        return owed

    def redecide_owed(self, compose_id: str) -> bool:
        """Whether a ``redecide`` of the compose waits in the outbox."""
        return bool(self.redecides_owed([compose_id]))

    def build_count(self, compose_id: str) -> int:
        """How many builds the compose has stored."""
        c = t.builds.c
        stmt = sa.select(sa.func.count()).select_from(t.builds).where(c.compose_id == compose_id)
        return int(self._conn.execute(stmt).scalar_one())

    def builds_differing(self, old_id: str, new_id: str) -> tuple[list[Build], list[Build]]:
        """The builds of two composes whose source package names do not have the very same
        builds in both (same NVRs, variants, arches and binary RPMs, as stored): what a
        build diff of them compares, without reading the thousands that did not change.
        Each side by name (then EVR as text), as :meth:`builds_for` gives them."""
        b = t.builds

        def unmatched(mine_id: str, other_id: str) -> sa.Select[tuple[str]]:
            mine, other = b.alias("mine"), b.alias("other")
            same = [other.c.compose_id == other_id]
            same += [other.c[key] == mine.c[key] for key in ("name", "epoch", "version", "release")]
            same += [sa.cast(other.c[key], sa.Text) == sa.cast(mine.c[key], sa.Text)
                     for key in ("variants", "arches", "rpms")]  # fmt: skip
            return sa.select(mine.c.name).where(
                mine.c.compose_id == mine_id, ~sa.exists().where(*same)
            )

        names = sa.union(unmatched(new_id, old_id), unmatched(old_id, new_id)).subquery()
        c = b.c
        variants, arches, rpms = (sa.cast(col, sa.Text) for col in (c.variants, c.arches, c.rpms))
        stmt = (
            sa.select(c.compose_id, c.name, c.version, c.release, c.epoch, variants, arches, rpms)
            .where(c.compose_id.in_([old_id, new_id]), c.name.in_(sa.select(names.c.name)))
            .order_by(c.name, c.epoch, c.version, c.release)
        )
        sides: dict[str, list[Build]] = {old_id: [], new_id: []}
        decode_names, decode_rpms = _NAMES.decode, _RPM_ARCHES.decode
        for compose_id, name, version, release, epoch, on, built_for, shipped in self._conn.execute(
            stmt
        ):
            sides[compose_id].append(
                Build(
                    name,
                    version,
                    release,
                    epoch,
                    decode_names(on),
                    decode_names(built_for),
                    decode_rpms(shipped),
                )
            )
        return sides[old_id], sides[new_id]
