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

    assert empty_store.current_revision() == head_revision() == "0008"


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


def test_results_stored_before_scoped_ids_are_marked_for_their_scope(empty_store: Store) -> None:
    """0006 cannot read the policies: it marks a store holding results (with an id or
    keyed by their content) so that the service's start gives each its team."""
    from alembic import command

    from gatekeeper.store.store import _alembic_config

    config = _alembic_config()
    with empty_store.engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        now = "2026-11-24 06:00:00+00:00"
        conn.execute(sa.text(
            "INSERT INTO composes (id, product, type, date, respin, announced_at, state, "
            "promoted, created_at, updated_at) VALUES ('C-9-20261124.0', 'C-9', 'production', "
            "'20261124', 0, :now, 'announced', false, :now, :now)"), {"now": now})  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO results (compose_id, testcase, outcome, submit_time, data, "
            "dedupe_key, created_at) VALUES ('C-9-20261124.0', 'rdo.smoke', 'PASSED', :now, "
            "'{}', 'sha256-of-its-content', :now)"), {"now": now})  # fmt: skip
    empty_store.upgrade()
    with empty_store.engine.connect() as conn:
        marks = conn.execute(sa.text("SELECT key FROM seen_keys")).scalars().all()
        scopes = conn.execute(sa.text("SELECT scope FROM results")).scalars().all()
    assert marks == ["pending:rescope-results"] and scopes == [None]
