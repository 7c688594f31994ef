"""Queries on what decides a compose: results, waivers and the decisions taken."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import Conflict, NotFound
from gatekeeper.model import Outcome, Result
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.store.latest import track_latest
from gatekeeper.store.result_inserts import insert_postgresql
from gatekeeper.store.result_keys import (
    RESCOPE as RESCOPE,
)
from gatekeeper.store.result_keys import (
    body,
    refuse_changed,
    rescope,
)
from gatekeeper.store.result_keys import (
    result_dedupe_key as result_dedupe_key,
)
from gatekeeper.timeutil import utcnow

_OUTCOMES: dict[str, Outcome] = {o.value: o for o in Outcome}

RESULT_COLUMNS = (
    t.results.c.id,
    t.results.c.testcase,
    t.results.c.outcome,
    t.results.c.submit_time,
    t.results.c.scenario,
    t.results.c.arch,
    t.results.c.variant,
    t.results.c.ref_url,
    t.results.c.note,
    t.results.c.data,
    t.results.c.reporter,
    t.results.c.source,
)

RESULT_COLUMNS_WITHOUT_DATA = tuple(
    sa.null().label("data") if column is t.results.c.data else column for column in RESULT_COLUMNS
)
NO_DATA: Mapping[str, Any] = MappingProxyType({})

_IN_CHUNK = 500  # testcase names per IN (...) of results_for
_SMALL_BATCH = 20  # reports up to this many results are inserted with a plain INSERT

# The columns add_results writes, in the order of its rows.
_ROW_NAMES = (
    "compose_id",
    "testcase",
    "outcome",
    "scenario",
    "arch",
    "variant",
    "ref_url",
    "note",
    "submit_time",
    "data",
    "reporter",
    "source",
    "external_id",
    "dedupe_key",
    "scope",
    "created_at",
)
_CREATED_AT = _ROW_NAMES.index("created_at")


def _stored(
    result: Result, db_id: str, submit_time: datetime, data: dict[str, Any], reporter: str | None
) -> Result:
    """The result as stored: ``replace(result, id=..., submit_time=..., data=...,
    reporter=...)``, built directly (``replace`` costs as much as the insert of a row)."""
    if type(result) is not Result:
        stored = replace(result, id=db_id, submit_time=submit_time, data=data)
        return stored if reporter is None else replace(stored, reporter=reporter)
    return Result(
        result.compose,
        result.testcase,
        result.outcome,
        submit_time,
        db_id,
        result.scenario,
        result.arch,
        result.variant,
        result.ref_url,
        result.note,
        data,
        result.reporter if reporter is None else reporter,
        result.source,
    )


class ResultQueries(TxBase):
    def add_results(
        self,
        results: Sequence[Result],
        *,
        reporter: str | None = None,
        scope_of: Callable[[str], str] | None = None,
        data_json: Sequence[str | None] | None = None,
    ) -> list[Result]:
        """Store the results not stored yet; returns those, with their database ids.

        A result's ``id`` (its reporter's) is kept as ``external_id`` and goes into
        its dedupe key (:func:`result_dedupe_key`) with its scope, ``scope_of(testcase)``
        (the owning team): a known key with the same body is skipped, one with another
        body (:func:`~gatekeeper.store.result_keys.body`) raises :class:`Conflict` and nothing
        is stored. One batched
        INSERT; a result of an unknown compose fails the whole batch. ``reporter``, when
        given, is every result's reporter (in place of its own). ``data_json``, when
        given, is each result's ``data`` already encoded as JSON (None for empty), as
        :func:`gatekeeper.bounds.check_results` returns it.
        """
        if not results:
            return []
        now = utcnow()
        pending: dict[str, tuple[Result, datetime, dict[str, Any]]] = {}
        rows: list[tuple[Any, ...]] = []
        scopes: dict[str, str] = {}
        for index, result in enumerate(results):
            scope = ""
            if scope_of is not None:
                scope = scopes.get(result.testcase) or scopes.setdefault(
                    result.testcase, scope_of(result.testcase)
                )
            key = result_dedupe_key(result, scope)
            if key in pending:
                if result.id is not None and body(result) != body(pending[key][0]):
                    raise Conflict(
                        f"result id {result.id!r} is given twice in this report, with "
                        "different bodies",
                        key="id",
                    )
                continue
            submit_time = t.to_utc(result.submit_time)
            # exactly what the store keeps
            if data_json is None:
                data = json.loads(json.dumps(dict(result.data)))
            else:
                text = data_json[index]
                data = {} if text is None else json.loads(text)
            pending[key] = (result, submit_time, data)
            rows.append(
                (
                    result.compose,
                    result.testcase,
                    result.outcome.value,
                    result.scenario,
                    result.arch,
                    result.variant,
                    result.ref_url,
                    result.note,
                    submit_time,
                    data,
                    result.reporter if reporter is None else reporter,
                    result.source,
                    result.id,
                    key,
                    scope,
                    now,
                )
            )
        try:
            if self.dialect == "postgresql" and len(rows) <= _SMALL_BATCH:
                stored = self._insert_results_core(rows)  # one short statement is cheaper
            elif self.dialect == "postgresql":
                stored = insert_postgresql(
                    self._conn, [dict(zip(_ROW_NAMES, row, strict=True)) for row in rows]
                )
            else:
                stored = self._insert_results_sqlite(rows)
        except sa.exc.IntegrityError as exc:  # the only constraint left: the compose's key
            if "foreign key" not in str(exc.orig).lower():
                raise
            composes = sorted({result.compose for result in results})
            what = (
                f"compose {composes[0]} is"
                if len(composes) == 1
                else (f"one of the composes {', '.join(composes)} is")
            )
            raise NotFound(f"{what} not known: announce or import it first") from None
        known = [key for key, (result, _, _) in pending.items()
                 if key not in stored and result.id is not None]  # fmt: skip
        if known:
            refuse_changed(self._conn, {key: pending[key][0] for key in known})
        track_latest(self._conn, [
            (r.compose, r.testcase, r.scenario, r.arch, r.variant, stored[key], submit_time)
            for key, (r, submit_time, _) in pending.items() if key in stored
        ])  # fmt: skip
        return [
            _stored(result, str(stored[key]), submit_time, data, reporter)
            for key, (result, submit_time, data) in pending.items()
            if key in stored
        ]

    def rescope_results(self, scope_of: Callable[[str], str]) -> int:
        """Give the results stored before ids were scoped (by the migration's mark) their
        scope and scoped key; the number of results changed. Runs once."""
        return rescope(self._conn, scope_of)

    def _insert_results_sqlite(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """Multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, as many rows per
        statement as SQLAlchemy's own batches hold, each value converted by its column's
        type: what SQLAlchemy's executemany does, without its per-row bookkeeping (which
        took half of the time of adding 20,000 results)."""
        dialect = self._conn.dialect
        if dialect.paramstyle != "qmark":  # pragma: no cover - pysqlite's is qmark
            return self._insert_results_core(rows)
        columns = [t.results.c[name] for name in _ROW_NAMES]
        processors = [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type.bind_processor(dialect)) is not None
        ]
        quote = dialect.identifier_preparer
        head = (
            f"INSERT INTO {quote.format_table(t.results)} "
            f"({', '.join(quote.format_column(column) for column in columns)}) VALUES "
        )
        tail = (
            f" ON CONFLICT ({quote.format_column(t.results.c.dedupe_key)}) DO NOTHING "
            f"RETURNING {quote.format_column(t.results.c.id)}, "
            f"{quote.format_column(t.results.c.dedupe_key)}"
        )
        one = "(" + ", ".join("?" * len(columns)) + ")"
        size = max(1, min(dialect.insertmanyvalues_page_size,
                          dialect.insertmanyvalues_max_parameters // len(columns)))  # fmt: skip
        created: dict[int, Any] = {}  # id(created_at) -> bound: one time for the whole batch
        stored: dict[str, int] = {}
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params: list[Any] = []
            for row in chunk:
                values = list(row)
                for index, processor in processors:
                    value = values[index]
                    if index != _CREATED_AT:
                        values[index] = processor(value)
                    else:
                        if id(value) not in created:
                            created[id(value)] = processor(value)
                        values[index] = created[id(value)]
                params += values
            sql = head + ", ".join([one] * len(chunk)) + tail
            stored.update(
                (key, row_id) for row_id, key in self._conn.exec_driver_sql(sql, tuple(params))
            )
        return stored

    def _insert_results_core(self, rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """The same INSERT through SQLAlchemy's executemany."""
        c = t.results.c
        stmt = (
            self._insert(t.results)
            .on_conflict_do_nothing(index_elements=[c.dedupe_key])
            .returning(c.id, c.dedupe_key)
        )
        params = [dict(zip(_ROW_NAMES, row, strict=True)) for row in rows]
        return {key: db_id for db_id, key in self._conn.execute(stmt, params)}

    def results_for(
        self,
        compose_id: str,
        *,
        with_data: bool = True,
        testcases: Collection[str] | None = None,
        latest: bool = False,
    ) -> list[Result]:
        """All results of the compose, in the order they were stored.

        What deciding needs is less (see :meth:`Gatekeeper._redecide`): ``testcases``
        reads only the results of those testcases (the gated ones: the engine reads no
        other), ``with_data=False`` leaves their ``data`` out (an empty mapping each:
        the engine never reads it, and decoding it is a third of the read), and
        ``latest=True`` reads only each key's results of the latest submit time (ties
        kept: the engine breaks them), which are all the engine looks at.
        """
        c = t.results.c
        columns = RESULT_COLUMNS if with_data else RESULT_COLUMNS_WITHOUT_DATA
        stmt = sa.select(*columns).where(c.compose_id == compose_id).order_by(c.id)
        if latest:
            rank = sa.func.rank().over(
                partition_by=(c.testcase, c.scenario, c.arch, c.variant),
                order_by=c.submit_time.desc(),
            )
            inner = sa.select(*columns, rank.label("latest_rank")).where(c.compose_id == compose_id)
            if testcases is not None:
                inner = inner.where(c.testcase.in_(sorted(set(testcases))))
            ranked = inner.subquery()
            names = [column.name for column in columns]
            stmt = (
                sa.select(*(ranked.c[name] for name in names))
                .where(ranked.c.latest_rank == 1)
                .order_by(ranked.c.id)
            )
            testcases = None  # already applied
        if testcases is None:
            rows: Iterable[Any] = self._conn.execute(stmt)
        else:
            names = sorted(set(testcases))
            chunks = [names[i : i + _IN_CHUNK] for i in range(0, len(names), _IN_CHUNK)]
            rows = [
                row
                for chunk in chunks
                for row in self._conn.execute(stmt.where(c.testcase.in_(chunk)))
            ]
            if len(chunks) > 1:
                rows.sort(key=lambda row: row[0])  # by id, as one query would give them
        return results_of_rows(compose_id, rows, None if with_data else NO_DATA)

    def results_page(
        self,
        compose_id: str,
        *,
        limit: int,
        offset: int = 0,
        filters: Mapping[str, str | None] | None = None,
    ) -> list[Result]:
        """The compose's results in the order they were stored, ``limit`` from ``offset``,
        keeping those whose columns equal every non-None ``filters`` value (``testcase``,
        ``outcome``, ``arch``, ``scenario``, ``variant``, ``reporter``)."""
        c = t.results.c
        stmt = sa.select(*RESULT_COLUMNS).where(c.compose_id == compose_id)
        for name, value in (filters or {}).items():
            if name not in _FILTERS:
                raise TypeError(f"results: cannot filter on {name}; filters: {_FILTERS}")
            if value is not None:
                stmt = stmt.where(c[name] == value)
        stmt = stmt.order_by(c.id).limit(limit).offset(offset)
        return results_of_rows(compose_id, self._conn.execute(stmt), None)


_FILTERS = ("testcase", "outcome", "arch", "scenario", "variant", "reporter")


def results_of_rows(
    compose_id: str, rows: Iterable[Any], no_data: Mapping[str, Any] | None
) -> list[Result]:
    """Results of rows of ``RESULT_COLUMNS`` (``no_data``: every result's data instead)."""
    outcomes = _OUTCOMES
    return [
        Result(
            compose_id,
            testcase,
            outcomes.get(outcome) or Outcome.parse(outcome),
            submit_time,
            str(db_id),
            scenario,
            arch,
            variant,
            ref_url,
            note,
            data if no_data is None else no_data,
            reporter,
            source,
        )
        for (
            db_id,
            testcase,
            outcome,
            submit_time,
            scenario,
            arch,
            variant,
            ref_url,
            note,
            data,
            reporter,
            source,
        ) in rows
    ]
