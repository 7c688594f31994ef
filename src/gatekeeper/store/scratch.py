"""Scratch databases for tests and benchmarks: is a database reachable, and a fresh schema.

Test support that needs the driver lives here, with the rest of the code that knows SQL,
so :mod:`gatekeeper.testing` stays free of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from gatekeeper.store.store import Store


def unreachable(url: str, *, timeout: int = 5) -> str | None:
    """Why the database at ``url`` cannot be reached (its first line), or None."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except sa.exc.OperationalError as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def postgres_schema(url: str, prefix: str = "gk_test") -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema of the PostgreSQL database at
    ``url`` (dropped when the block ends)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# The statements the migrations sent to an empty database, per dialect, recorded the first
# time in this process (see :func:`migrate`).
_MIGRATIONS: dict[str, list[tuple[str, Any]]] = {}
_NOT_REPLAYED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SELECT")


def migrate(store: Store) -> None:
    """Bring the empty scratch database of ``store`` to the newest schema.

    The first time in a process (per dialect) the migrations run (:meth:`Store.upgrade`) and
    the statements they send are recorded; later, the recorded statements (reads left out)
    are sent again in one transaction: the same schema, stamped with the same revision, for
    a fraction of the cost. For tests and benchmarks, which start many empty databases; a
    database that is not empty is upgraded the ordinary way.
    """
    recorded = _MIGRATIONS.get(store.dialect)
    if recorded is None or store.current_revision() is not None:
        sent: list[tuple[str, Any]] = []

        def record(*args: Any) -> None:  # conn, cursor, statement, parameters, context, many
            sent.append((args[2], args[3]))

        sa.event.listen(store.engine, "before_cursor_execute", record)
        try:
            store.upgrade()
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", record)
        if recorded is None:
            _MIGRATIONS[store.dialect] = [
                (statement, parameters)
                for statement, parameters in sent
                if not statement.lstrip().upper().startswith(_NOT_REPLAYED)
            ]
        return
    with store.engine.connect() as conn, conn.begin():
        for statement, parameters in recorded:
            conn.exec_driver_sql(statement, parameters)
