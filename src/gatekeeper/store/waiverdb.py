"""Queries of the WaiverDB API: waivers across composes, by id, filtered and paged.

Each waiver comes with its compose's product, which the WaiverDB API reports as the
waiver's ``product_version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from gatekeeper.model import Waiver
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase


@dataclass(frozen=True, slots=True)
class WaiverFilter:
    """What a listing keeps: every criterion given must hold (None: any)."""

    compose_id: str | None = None
    testcase: str | None = None
    scenario: str | None = None
    product: str | None = None  # the compose's product, compared case-insensitively
    username: str | None = None
    since: datetime | None = None  # at or after
    until: datetime | None = None  # at or before
    include_obsolete: bool = False


def _select() -> sa.Select[Any]:
    w, c = t.waivers.c, t.composes.c
    return sa.select(
        w.id, w.compose_id, w.testcase, w.time, w.scenario, w.arch, w.waived, w.comment,
        w.username, w.expires, w.bug, c.product,
    ).join_from(t.waivers, t.composes, w.compose_id == c.id)  # fmt: skip


def _row(row: sa.Row[Any]) -> tuple[Waiver, str]:
    m = row._mapping
    waiver = Waiver(
        id=str(m["id"]),
        compose=m["compose_id"],
        testcase=m["testcase"],
        time=m["time"],
        scenario=m["scenario"],
        arch=m["arch"],
        waived=m["waived"],
        comment=m["comment"],
        username=m["username"],
        expires=m["expires"],
        bug=m["bug"],
    )
    return waiver, m["product"]


class WaiverDBQueries(TxBase):
    def waiver_with_product(self, waiver_id: int) -> tuple[Waiver, str] | None:
        """The waiver (or revocation) ``waiver_id`` and its compose's product, or None."""
        found = self._conn.execute(_select().where(t.waivers.c.id == waiver_id)).first()
        return _row(found) if found is not None else None

    def waivers_filtered(
        self, where: WaiverFilter, *, limit: int, offset: int
    ) -> tuple[list[tuple[Waiver, str]], int]:
        """One page of the waivers matching ``where``, newest first (time, then id), each
        with its compose's product; and how many match in all.

        Unless ``include_obsolete``, only the latest waiver of each (compose, testcase,
        scenario, arch, username) is kept, as WaiverDB keeps the latest of each subject,
        testcase, scenario, username and product version."""
        w, c = t.waivers.c, t.composes.c
        conditions: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (w.compose_id, where.compose_id),
            (w.testcase, where.testcase),
            (w.scenario, where.scenario),
            (w.username, where.username),
        ):
            if value is not None:
                conditions.append(column == value)
        if where.product is not None:
            conditions.append(sa.func.lower(c.product) == where.product.lower())
        if where.since is not None:
            conditions.append(w.time >= where.since)
        if where.until is not None:
            conditions.append(w.time <= where.until)
        if not where.include_obsolete:
            latest = sa.select(sa.func.max(w.id)).group_by(
                w.compose_id, w.testcase, w.scenario, w.arch, w.username
            )
            conditions.append(w.id.in_(latest))
        count = sa.select(sa.func.count()).select_from(
            t.waivers.join(t.composes, w.compose_id == c.id)
        )
        total = self._conn.execute(count.where(*conditions)).scalar_one()
        stmt = (
            _select()
            .where(*conditions)
            .order_by(w.time.desc(), w.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_row(row) for row in self._conn.execute(stmt)], int(total)


__all__ = ["WaiverDBQueries", "WaiverFilter"]
