"""The Store itself: URLs, SQLite settings, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from gatekeeper.model import Compose
from gatekeeper.store import Store, default_url


def test_the_default_url_is_a_sqlite_file_in_the_var_dir(tmp_path: Path) -> None:
    assert default_url(tmp_path / "var") == f"sqlite:///{tmp_path}/var/gatekeeper.db"


def test_a_sqlite_store_creates_the_directory_of_its_file(tmp_path: Path) -> None:
    store = Store(default_url(tmp_path / "deep" / "var"))
    try:
        store.upgrade()
    finally:
        store.dispose()

    assert (tmp_path / "deep" / "var" / "gatekeeper.db").is_file()
    assert (store.url, store.dialect) == (default_url(tmp_path / "deep" / "var"), "sqlite")


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    store = Store(default_url(tmp_path))
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        store.dispose()


def test_the_dialect_names_the_database(store: Store) -> None:
    assert store.dialect in {"sqlite", "postgresql"}
    assert store.url.startswith(store.dialect)


def test_a_transaction_commits_when_its_block_ends(store: Store) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(Compose.from_id("CentOS-Stream-9-20261124.0"))

    with store.transaction(readonly=True) as tx:
        assert len(tx.list_composes()) == 1


def test_a_readonly_transaction_reads_while_a_writer_holds_its_transaction(
    store: Store,
) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(Compose.from_id("CentOS-Stream-9-20261124.0"))

    with store.transaction() as writer:
        writer.ensure_compose(Compose.from_id("CentOS-Stream-9-20261125.0"))
        with store.transaction(readonly=True) as reader:
            assert [c["id"] for c in reader.list_composes()] == ["CentOS-Stream-9-20261124.0"]


def test_a_readonly_transaction_cannot_write_on_postgresql(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite has no read-only transactions")
    with (
        pytest.raises(sa.exc.InternalError, match="read-only"),
        store.transaction(readonly=True) as tx,
    ):
        tx.enqueue("a", {})


def test_workers_never_get_the_same_pending_message_on_postgresql(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite serialises writing transactions: one worker at a time")
    with store.transaction() as tx:
        first, second = tx.enqueue("a", {}), tx.enqueue("b", {})

    with store.transaction() as one, store.transaction() as other:
        assert [m["id"] for m in one.pending_outbox(limit=1)] == [first]
        assert [m["id"] for m in other.pending_outbox()] == [second]
