"""Queries of the ResultsDB v2.0 API (:mod:`gatekeeper.api.compat_resultsdb`): results by
database id, filtered by columns and by extra-data keys (exact values or ``*`` globs),
newest first; the latest result per testcase (and per ``_distinct_on`` keys); testcases.

Extra data lives in the ``data`` JSON column, a value being a string, a number or a list of
them (the ResultsDB door stores lists of strings). A data filter matches when one of the
key's values equals (or, for a glob, is LIKE) one of the wanted values: ``json_each`` on
SQLite, ``jsonb_array_elements_text`` on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import InputError
from gatekeeper.model import Result
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.store.result_keys import result_dedupe_key
from gatekeeper.store.results import RESULT_COLUMNS, results_of_rows

_COLUMNS = ("compose_id", "testcase", "scenario", "arch", "variant", "outcome")
_ROW = (t.results.c.compose_id, *RESULT_COLUMNS)  # a result's compose, then its row


@dataclass(frozen=True)
class ResultFilter:
    """What a listing keeps. ``columns``/``column_likes``: a column (one of compose_id,
    testcase, scenario, arch, variant, outcome) equal to / LIKE one of the values (a column
    in both: either, as ResultsDB's ``testcases`` and ``testcases:like``); ``data``
    and ``data_likes``: the same on extra-data keys; every entry must hold (AND), a value
    list is an OR; ``since`` and ``until`` bound the submit time (inclusive);
    ``distinct_on``: for the latest listing, the columns and data keys (besides the
    testcase) that tell results apart."""

    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    column_likes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    data: Mapping[str, Sequence[str]] = field(default_factory=dict)
    data_likes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None
    nothing: bool = False  # a filter that no result can meet (e.g. an unknown subject type)
    distinct_on: Sequence[str] = ()


def _glob(pattern: str) -> str:
    """ResultsDB's ``*`` glob as a LIKE pattern (``%`` and ``_`` stay wildcards, as there)."""
    return pattern.replace("*", "%")


def _column(name: str) -> sa.ColumnElement[Any]:
    if name not in _COLUMNS:
        raise TypeError(f"resultsdb: cannot filter on column {name}; columns: {_COLUMNS}")
    return t.results.c[name]


def _check_key(key: str) -> None:
    if '"' in key or "\\" in key:
        raise InputError("a data key may not hold a quote or a backslash", key=key)


class ResultsdbQueries(TxBase):
    _names = itertools.count()

    def resultsdb_result(self, db_id: int) -> Result | None:
        """The result with database id ``db_id``, or None."""
        row = self._conn.execute(sa.select(*_ROW).where(t.results.c.id == db_id)).first()
        return None if row is None else _result(row)

    def resultsdb_stored(self, result: Result, scope: str) -> Result | None:
        """The stored result ``result`` (with ``scope``) is a repetition of, or None."""
        key = result_dedupe_key(result, scope)
        row = self._conn.execute(sa.select(*_ROW).where(t.results.c.dedupe_key == key)).first()
        return None if row is None else _result(row)

    def resultsdb_results(
        self, where: ResultFilter, *, limit: int, offset: int = 0, latest: bool = False
    ) -> list[Result]:
        """The results ``where`` keeps, newest submit time first (then newest id), ``limit``
        of them from ``offset``. ``latest``: only the newest of each testcase and
        ``where.distinct_on`` values."""
        c = t.results.c
        conditions = self._conditions(where)
        order = (c.submit_time.desc(), c.id.desc())
        if not latest:
            stmt = sa.select(*_ROW).where(*conditions).order_by(*order)
        else:
            parts = [c.testcase, *(self._value_of(name) for name in where.distinct_on)]
            rank = sa.func.row_number().over(partition_by=parts, order_by=order)
            inner = sa.select(*_ROW, rank.label("rank")).where(*conditions).subquery()
            names = [column.name for column in _ROW]
            stmt = (
                sa.select(*(inner.c[name] for name in names))
                .where(inner.c["rank"] == 1)
                .order_by(inner.c.submit_time.desc(), inner.c.id.desc())
            )
        rows = self._conn.execute(stmt.limit(limit).offset(offset))
        return [_result(row) for row in rows]

    def resultsdb_testcases(
        self, names: Sequence[str], likes: Sequence[str], *, limit: int, offset: int = 0
    ) -> list[str]:
        """Distinct testcase names of stored results, by name, that equal one of ``names``
        or match one of the ``likes`` globs (neither given: every one)."""
        c = t.results.c
        stmt = sa.select(c.testcase).distinct().order_by(c.testcase)
        wanted = [c.testcase.in_(names)] if names else []
        wanted += [c.testcase.like(_glob(p)) for p in likes]
        if wanted:
            stmt = stmt.where(sa.or_(*wanted))
        return list(self._conn.execute(stmt.limit(limit).offset(offset)).scalars())

    def resultsdb_group_infos(self, key: str) -> list[str]:
        """Every text value of the list-valued data ``key``, by the newest result first
        (each once, at its newest)."""
        _check_key(key)
        if self.dialect == "postgresql":
            item = "(results.data::jsonb -> :key)"
            source = (
                f"jsonb_array_elements_text(CASE jsonb_typeof({item}) WHEN 'array' THEN {item} "
                "ELSE '[]'::jsonb END) AS je(value)"
            )
            value, param = "je.value", key
        else:
            source, value, param = "json_each(results.data, :key) AS je", "je.value", f'$."{key}"'
        sql = (
            f"SELECT {value} AS value, max(results.id) AS newest FROM results, {source} "
            f"GROUP BY {value} ORDER BY newest DESC, value"
        )
        rows = self._conn.execute(sa.text(sql).bindparams(key=param))
        return [str(row[0]) for row in rows]

    def _conditions(self, where: ResultFilter) -> list[sa.ColumnElement[bool]]:
        c = t.results.c
        found: list[sa.ColumnElement[bool]] = []
        if where.nothing:
            found.append(sa.false())
        either: dict[str, list[sa.ColumnElement[bool]]] = {}
        for name, values in where.columns.items():
            either.setdefault(name, []).append(_column(name).in_(list(values)))
        for name, values in where.column_likes.items():
            either.setdefault(name, []).extend(_column(name).like(_glob(v)) for v in values)
        found += [sa.or_(*tests) for tests in either.values()]
        for key, values in where.data.items():
            found.append(self._data_match(key, values, like=False))
        for key, values in where.data_likes.items():
            found.append(self._data_match(key, values, like=True))
        if where.since is not None:
            found.append(self._time(c.submit_time) >= self._time(where.since))
        if where.until is not None:
            found.append(self._time(c.submit_time) <= self._time(where.until))
        return found

    def _time(self, value: sa.ColumnElement[Any] | datetime) -> sa.ColumnElement[Any]:
        """A time to compare: on SQLite, whose stored text may or may not hold the zone and
        the microseconds, as a Julian day number of both sides."""
        if self.dialect != "sqlite":
            return (
                value if isinstance(value, sa.ColumnElement) else sa.literal(value, t.UTCDateTime())
            )
        if isinstance(value, datetime):
            text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            return sa.func.julianday(sa.literal(text, sa.String()))
        return sa.func.julianday(value)

    def _data_match(self, key: str, values: Iterable[str], *, like: bool) -> sa.ColumnElement[bool]:
        """Whether one of the data key's values equals (is LIKE) one of ``values``."""
        _check_key(key)
        n = next(self._names)
        wanted = [_glob(v) if like else v for v in values]
        if self.dialect == "postgresql":
            item = f"(results.data::jsonb -> :k{n})"
            source = (
                f"jsonb_array_elements_text(CASE jsonb_typeof({item}) WHEN 'array' THEN {item} "
                f"ELSE jsonb_build_array({item}) END) AS je(value)"
            )
            value = "je.value"
            params: dict[str, Any] = {f"k{n}": key}
        else:
            source = f"json_each(results.data, :k{n}) AS je"
            value = "CAST(je.value AS TEXT)"
            params = {f"k{n}": f'$."{key}"'}
        tests = [f"{value} LIKE :v{n}_{i}" if like else f"{value} = :v{n}_{i}"
                 for i in range(len(wanted))]  # fmt: skip
        params.update({f"v{n}_{i}": v for i, v in enumerate(wanted)})
        sql = f"EXISTS (SELECT 1 FROM {source} WHERE {' OR '.join(tests) or 'false'})"
        return sa.text(sql).bindparams(**params)  # type: ignore[return-value]

    def _value_of(self, name: str) -> sa.ColumnElement[Any]:
        """A column, or the JSON text of a data key: what ``_distinct_on`` groups by."""
        if name in _COLUMNS:
            return t.results.c[name]
        _check_key(name)
        if self.dialect == "postgresql":
            return sa.func.json_extract_path_text(t.results.c.data, name)
        return sa.func.json_extract(t.results.c.data, f'$."{name}"')


def _result(row: Any) -> Result:
    compose_id, *rest = row
    return results_of_rows(compose_id, [rest], None)[0]


__all__ = ["ResultFilter", "ResultsdbQueries"]
