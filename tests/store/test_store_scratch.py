"""The scratch databases of tests: a replayed migration makes the migrated schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gatekeeper.store import Store, scratch
from gatekeeper.store.store import head_revision
from gatekeeper.store.tables import metadata


def _shape(store: Store) -> dict[str, object]:
    inspector = sa.inspect(store.engine)
    tables = sorted(inspector.get_table_names())
    return {
        "revision": store.current_revision(),
        "columns": {
            t: [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(t)]
            for t in tables
        },
        "indexes": {
            t: sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(t)
            )
            for t in tables
        },
        "keys": {t: sorted(str(k) for k in inspector.get_foreign_keys(t)) for t in tables},
    }


def test_the_replayed_migrations_make_the_schema_the_migrations_make(
    db_url: str, another_empty: Callable[[], AbstractContextManager[Store]]
) -> None:
    migrated = Store(db_url)
    try:
        scratch.migrate(migrated)  # the migrations run (and are recorded, if first here)
        with another_empty() as replayed:
            scratch.migrate(replayed)  # replayed, unless nothing was recorded yet
            scratch.migrate(replayed)  # a database no longer empty is upgraded: no change
            assert _shape(replayed) == _shape(migrated)
            assert replayed.current_revision() == head_revision()
            with replayed.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "compare_server_default": True}
                )
                assert compare_metadata(context, metadata) == []
    finally:
        migrated.dispose()


@contextmanager
def _empty(url: str) -> Iterator[Store]:
    store = Store(url)
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def another_empty(
    db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], AbstractContextManager[Store]]:
    """A second empty database of the same kind as ``db_url``."""

    @contextmanager
    def make() -> Iterator[Store]:
        if db_url.startswith("sqlite"):
            with _empty(f"sqlite:///{tmp_path_factory.mktemp('again') / 'gk.db'}") as store:
                yield store
            return
        from gatekeeper.testing import postgres_schema

        with postgres_schema() as url, _empty(url) as store:
            yield store

    return make
