"""Inserting many results on PostgreSQL in few statements."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gatekeeper.store import tables as t

_PG_CHUNK = 10_000


def insert_postgresql(conn: sa.Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """INSERT ... SELECT from one JSON array parameter per chunk of rows.

    A multi-row VALUES has ~15 placeholders per result, which psycopg parses in
    Python: adding 40,000 results took 6.2 s that way, 1.4 s this way.
    """
    c = t.results.c
    names = list(rows[0])
    elements = (
        sa.func.jsonb_array_elements(sa.bindparam("rows", type_=postgresql.JSONB))
        .table_valued(sa.column("value", postgresql.JSONB), with_ordinality="n")
        .render_derived("e")
    )
    value = elements.c.value
    columns: list[sa.ColumnElement[Any]] = []
    for name in names:
        if isinstance(c[name].type, sa.JSON):
            columns.append(sa.cast(value[name], sa.JSON))
        elif isinstance(c[name].type, t.UTCDateTime):
            columns.append(sa.cast(value[name].astext, sa.DateTime(timezone=True)))
        else:
            columns.append(value[name].astext)
    stmt = (
        postgresql.insert(t.results)
        .from_select(names, sa.select(*columns).order_by(elements.c.n))
        .on_conflict_do_nothing(index_elements=[c.dedupe_key])
        .returning(c.id, c.dedupe_key)
    )
    stored: dict[str, int] = {}
    for start in range(0, len(rows), _PG_CHUNK):
        chunk = [
            {
                **row,
                "submit_time": row["submit_time"].isoformat(),
                "created_at": row["created_at"].isoformat(),
            }
            for row in rows[start : start + _PG_CHUNK]
        ]
        stored.update((key, db_id) for db_id, key in conn.execute(stmt, {"rows": chunk}))
    return stored
