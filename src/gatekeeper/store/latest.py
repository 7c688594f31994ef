"""The latest result of each key of a compose: kept in ``latest_results`` by every insert
of results, in its transaction, so deciding reads it without scanning the compose."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gatekeeper.store import tables as t

LatestEntry = tuple[str, str, str | None, str | None, str | None, int, datetime]
"""compose, testcase, scenario, arch, variant, the result's database id, submit time."""


def result_key(testcase: str, scenario: str | None, arch: str | None, variant: str | None) -> str:
    """The ``latest_results`` key of a result key (a digest: fixed size whatever the names)."""
    text = json.dumps([testcase, scenario, arch, variant], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def track_latest(conn: sa.Connection, entries: Sequence[LatestEntry]) -> None:
    """Make each entry its key's latest result unless a later one (submit time, then
    database id) is there already."""
    if not entries:
        return
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for compose_id, testcase, scenario, arch, variant, db_id, submit_time in entries:
        key = (compose_id, result_key(testcase, scenario, arch, variant))
        seen = best.get(key)
        if seen is None or (submit_time, db_id) > (seen["submit_time"], seen["result_id"]):
            best[key] = {"compose_id": compose_id, "key": key[1], "testcase": testcase,
                         "result_id": db_id, "submit_time": submit_time}  # fmt: skip
    stmt = _UPSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _UPSERTS[conn.dialect.name] = _upsert(conn.dialect.name)
    conn.execute(stmt, list(best.values()))


_UPSERTS: dict[str, sa.Executable] = {}
"""The upsert of :func:`track_latest`, by dialect: built once (building one costs more than
running it on a small table)."""


def _upsert(dialect: str) -> sa.Executable:
    c = t.latest_results.c
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ins = make(t.latest_results)
    excluded = ins.excluded
    newer = sa.or_(
        excluded.submit_time > c.submit_time,
        sa.and_(excluded.submit_time == c.submit_time, excluded.result_id > c.result_id),
    )
    return ins.on_conflict_do_update(
        index_elements=[c.compose_id, c.key],
        set_={"result_id": excluded.result_id, "submit_time": excluded.submit_time},
        where=newer,
    )
