"""How a stored result is known again: its dedupe key (scoped by the owning team), the
body a same-id report must repeat, the refusal of a changed one, and giving results stored
before ids were scoped their scope."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import Conflict
from gatekeeper.model import Result
from gatekeeper.store import tables as t
from gatekeeper.timeutil import format_time

_IN_CHUNK = 500  # keys per IN (...)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


RESCOPE = "pending:rescope-results"
"""A seen key the migration to scoped result ids leaves when results need their scope
(see :meth:`ResultQueries.rescope_results`)."""


def result_dedupe_key(result: Result, scope: str = "") -> str:
    """The key that makes storing a result idempotent.

    A result with an id from its reporter: ``<source or gatekeeper>:<scope>:<compose>:<id>``,
    the scope being the team owning its testcase: ids are unique per team, so one team's
    id never shadows another's. Without one: the SHA-256 of its content (everything but
    reporter and source).
    """
    if result.id is not None:
        return f"{result.source or 'gatekeeper'}:{scope}:{result.compose}:{result.id}"
    content = [
        result.compose,
        result.testcase,
        result.outcome.value,
        result.scenario,
        result.arch,
        result.variant,
        result.ref_url,
        result.note,
        format_time(result.submit_time),
        dict(result.data),
    ]
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def body(result: Result) -> str:
    """What a same-id report must repeat to be the same result: everything its reporter
    says of it but the submit time (a parser's "now" when the source gives none)."""
    return canonical_json(
        [result.testcase, result.outcome.value, result.scenario, result.arch, result.variant,
         result.ref_url, result.note, dict(result.data)]
    )  # fmt: skip


def refuse_changed(conn: sa.Connection, known: Mapping[str, Result]) -> None:
    """Raise :class:`Conflict` when a stored result of one of these keys has another
    body than the one reported again (a redelivery repeats it; a new report reusing
    the id does not)."""
    c = t.results.c
    columns = (c.dedupe_key, c.external_id, c.testcase, c.outcome, c.scenario, c.arch,
               c.variant, c.ref_url, c.note, c.data)  # fmt: skip
    keys = list(known)
    changed: list[str] = []
    for start in range(0, len(keys), _IN_CHUNK):
        stmt = sa.select(*columns).where(c.dedupe_key.in_(keys[start : start + _IN_CHUNK]))
        for key, external_id, *stored in conn.execute(stmt):
            if canonical_json(stored) != body(known[key]):
                changed.append(str(external_id))
    if changed:
        shown = ", ".join(repr(i) for i in sorted(changed)[:10])
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        raise Conflict(
            f"result id {shown}{more} is already stored with another body; a result's id "
            "names one result: give the new one its own id",
            key="id",
        )


def rescope(conn: sa.Connection, scope_of: Callable[[str], str]) -> int:
    """Give the results stored before ids were scoped (by the migration's mark) their
    scope and scoped key; the number of results changed. Runs once."""
    c = t.results.c
    mark = t.seen_keys.c.key == RESCOPE
    if conn.execute(sa.select(t.seen_keys.c.key).where(mark)).first() is None:
        return 0
    unscoped = c.scope.is_(None)
    testcases = conn.execute(sa.select(c.testcase).where(unscoped).distinct())
    changed = 0
    for (testcase,) in list(testcases):
        scope = scope_of(testcase)
        key = (sa.func.coalesce(c.source, "gatekeeper") + ":" + scope + ":" + c.compose_id
               + ":" + c.external_id)  # fmt: skip
        stmt = (
            sa.update(t.results)
            .where(unscoped, c.testcase == testcase)
            .values(scope=scope,
                    dedupe_key=sa.case((c.external_id.is_(None), c.dedupe_key), else_=key))
        )  # fmt: skip
        changed += conn.execute(stmt).rowcount or 0
    conn.execute(sa.delete(t.seen_keys).where(mark))
    return changed
