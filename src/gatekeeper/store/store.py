"""The engine, its transactions and its migrations.

One :class:`Store` per process; it is safe to share between threads. All reads and
writes go through :meth:`Store.transaction`, which hands out a :class:`~.repo.Tx`.

SQLite serves one long-running process (:meth:`Store.claim_single_writer`); in it, writing
transactions take turns before they take a pooled connection, so readers (``/healthz``)
always find one while writers wait for another process's write.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from gatekeeper.errors import ConfigError, StoreRefused, StoreUnavailable
from gatekeeper.store import claims, writer_lock
from gatekeeper.store.claims import Listener, OutboxClaim
from gatekeeper.store.tx import Tx

# driver errors that say the database cannot be reached now, not that a statement is wrong
_UNAVAILABLE = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# pg_advisory_lock key serialising `upgrade` between processes sharing one database.
_MIGRATION_LOCK = zlib.crc32(b"gatekeeper.store.migrations")

_SQLITE_BEGIN = "gatekeeper_sqlite_begin"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_url(var_dir: Path) -> str:
    """The embedded default database: ``<var_dir>/gatekeeper.db``."""
    return f"sqlite:///{(Path(var_dir) / 'gatekeeper.db').as_posix()}"


class Store:
    """A database gatekeeper keeps its state in: SQLite (default) or PostgreSQL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        try:
            parsed = make_url(url)
            options: dict[str, Any] = {}
            if parsed.get_backend_name() == "sqlite":
                _make_parent_dir(parsed.database)
            else:
                options["pool_pre_ping"] = True
            self.engine: sa.Engine = sa.create_engine(parsed, echo=echo, **options)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ConfigError(f"cannot open the database: {why}", key="database_url") from None
        self.dialect: str = self.engine.dialect.name
        self._writers = threading.RLock()  # SQLite: this process's writers take turns
        self._writer_file: str | None = None  # SQLite: the file whose lock this store holds
        if self.dialect == "sqlite":
            _setup_sqlite(self.engine)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Tx]:
        """One database transaction: commit when the block ends, rollback if it raises.

        On SQLite a writing transaction starts with ``BEGIN IMMEDIATE``, taking the
        database's write lock at once, so read-modify-write blocks are serialised.
        ``readonly=True`` starts a plain deferred ``BEGIN`` there (and a ``READ ONLY``
        transaction on PostgreSQL) for readers that must not wait for writers. SQLite's
        writers of this process take turns before taking a connection, so those waiting
        for the write lock never hold every pooled connection while readers wait.
        """
        if self.dialect != "sqlite" or readonly:
            with self._transaction(readonly=readonly) as tx:
                yield tx
            return
        if not self._writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise StoreUnavailable(
                "store unavailable: database is locked (this process's writers waited "
                f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s for their turn)"
            )
        try:
            with self._transaction(readonly=False) as tx:
                yield tx
        finally:
            self._writers.release()

    @contextmanager
    def _transaction(self, *, readonly: bool) -> Iterator[Tx]:
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
                    conn.execution_options(**{_SQLITE_BEGIN: begin})
                with conn.begin():
                    if readonly and self.dialect == "postgresql":
                        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    yield Tx(conn)
        except sa.exc.DataError as exc:  # the caller's value: nothing was stored
            raise StoreRefused(f"the store refused a value: {_reason(exc)}") from exc
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"store unavailable: {_reason(exc)}") from exc
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(f"store unavailable: {_reason(exc)}") from exc
            raise

    def ping(self) -> None:
        """Raise :class:`~gatekeeper.errors.StoreUnavailable` unless the database answers.
        A read: on SQLite (WAL) it never waits for a writer."""
        with self.transaction(readonly=True) as tx:
            tx.ping()

    def claim_single_writer(self) -> None:
        """Make this process the one long-running process of a SQLite file (``serve``, a
        dispatcher loop), for its life or until :meth:`dispose`: a ConfigError naming the
        process holding it when another does (see :mod:`gatekeeper.store.writer_lock`).
        Nothing on PostgreSQL, which serves many processes."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or self._writer_file is not None:
            return
        if not database or database == ":memory:" or database.startswith("file:"):
            return
        writer_lock.claim(database)
        self._writer_file = database

    @contextmanager
    def claim_outbox(
        self, *, ids: Sequence[int] | None, lease: timedelta, batched: Collection[str] = ()
    ) -> Iterator[OutboxClaim | None]:
        """The next due outbox entry (among ``ids`` if given), the caller's alone until the
        block ends (None: nothing is due); a kind in ``batched`` comes with every other
        pending entry of its compose. The caller sends, says ``claim.delivered()`` or
        ``claim.retry(...)``, and the store marks the entries when the block ends: inside
        the claiming transaction on PostgreSQL (row locks), after a committed lease on
        SQLite (see :mod:`gatekeeper.store.claims`)."""
        if self.dialect == "postgresql":
            with self.transaction() as tx:
                claim = claims.take(tx, ids, lease, batched)
                yield claim
                if claim is not None:
                    claim.settle(tx)
            return
        with self.transaction() as tx:
            claim = claims.take(tx, ids, lease, batched)
        yield claim
        if claim is not None:
            with self.transaction() as tx:
                claim.settle(tx)

    def outbox_listener(self) -> Listener | None:
        """A waiter for other processes' outbox commits; None where the database cannot
        notify (SQLite: dispatchers poll)."""
        return Listener(self.engine) if self.dialect == "postgresql" else None

    def upgrade(self) -> None:
        """Migrate the database to the newest schema (``alembic upgrade head``).

        Idempotent. On PostgreSQL a session advisory lock serialises concurrent
        callers; on SQLite the migration's ``BEGIN IMMEDIATE`` does.
        """
        config = _alembic_config()
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK)))
                conn.commit()
            try:
                with conn.begin():
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
            finally:
                if self.dialect == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK)))
                    conn.commit()

    def current_revision(self) -> str | None:
        """The database's Alembic revision; None for an empty database."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.execution_options(**{_SQLITE_BEGIN: "BEGIN"})
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection (and give back the single writer's lock)."""
        if self._writer_file is not None:
            writer_lock.release(self._writer_file)
            self._writer_file = None
        self.engine.dispose()


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    """The driver's first line, without SQLAlchemy's statement and parameters."""
    orig = getattr(exc, "orig", None)
    return (str(orig or exc).splitlines() or [type(exc).__name__])[0]


def head_revision() -> str | None:
    """The newest revision the package's migrations know."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _make_parent_dir(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _setup_sqlite(engine: sa.Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and transactions begun by us, not pysqlite."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite would otherwise BEGIN lazily (and never for SELECT); we emit BEGIN ourselves
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(_SQLITE_BEGIN, "BEGIN IMMEDIATE"))
