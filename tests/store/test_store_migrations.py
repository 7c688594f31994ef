"""Migrations create exactly the schema of gatekeeper.store.tables, once."""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gatekeeper.store import Store
from gatekeeper.store.store import head_revision
from gatekeeper.store.tables import metadata


def test_upgrade_on_an_empty_database_creates_exactly_the_tables_schema(
    empty_store: Store,
) -> None:
    empty_store.upgrade()

    with empty_store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_upgrade_creates_every_table(empty_store: Store) -> None:
    empty_store.upgrade()

    tables = set(sa.inspect(empty_store.engine).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_an_empty_database_has_no_revision(empty_store: Store) -> None:
    assert empty_store.current_revision() is None


def test_upgrade_reaches_the_head_revision(empty_store: Store) -> None:
    empty_store.upgrade()

    assert empty_store.current_revision() == head_revision() == "0006"


def test_upgrade_is_idempotent(store: Store) -> None:
    with store.transaction() as tx:
        tx.enqueue("kept", {"across": "upgrades"})

    store.upgrade()
    store.upgrade()

    assert store.current_revision() == head_revision()
    with store.transaction() as tx:
        assert [m["kind"] for m in tx.pending_outbox()] == ["kept"]


def _upgrade(url: str) -> None:
    store = Store(url)
    try:
        store.upgrade()
    finally:
        store.dispose()


def test_processes_upgrading_at_once_migrate_once(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_upgrade, args=(db_url,)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)

    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    store = Store(db_url)
    try:
        assert store.current_revision() == head_revision()
    finally:
        store.dispose()
