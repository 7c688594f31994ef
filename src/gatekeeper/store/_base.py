"""What every group of queries shares: the connection, its dialect, and small helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatekeeper.errors import NotFound
from gatekeeper.store import tables as t

Insert = postgresql.Insert | sqlite.Insert


class TxBase:
    """One open transaction. Subclasses add the queries; none of them commits."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.dialect: str = conn.dialect.name

    def ping(self) -> None:
        """A round trip to the database (``SELECT 1``)."""
        self._conn.execute(sa.text("SELECT 1"))

    def _insert(self, table: sa.Table) -> Insert:
        """An INSERT that knows ``ON CONFLICT`` on this dialect."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"gatekeeper does not support {self.dialect} databases")

    def _lock_compose_row(self, compose_id: str) -> dict[str, Any]:
        """The compose's row, locked until the transaction ends.

        ``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL: it excludes every other
        locker and writer of the row, but not the key-share locks that inserting a
        result (its foreign key) takes, so "insert results, then lock" cannot
        deadlock. SQLite has no row locks (the compiler drops the clause); a
        writing transaction already holds the database's write lock there.
        """
        stmt = (
            sa.select(t.composes)
            .where(t.composes.c.id == compose_id)
            .with_for_update(key_share=True)
        )
        row = self._conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"compose {compose_id} is not known")
        return dict(row)


def check_columns(table: sa.Table, values: Mapping[str, Any], *, fixed: Iterable[str]) -> None:
    """Refuse keys that are not columns of ``table``, or that may not be changed."""
    frozen = set(fixed)
    bad = sorted(k for k in values if k not in table.c or k in frozen)
    if bad:
        allowed = ", ".join(c.name for c in table.c if c.name not in frozen)
        raise TypeError(f"{table.name}: cannot set {', '.join(bad)}; columns: {allowed}")
