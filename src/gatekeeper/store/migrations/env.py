"""Alembic environment for the gatekeeper store.

:meth:`gatekeeper.store.Store.upgrade` passes its own connection (already inside a
transaction) in ``config.attributes["connection"]``. Run by the ``alembic`` command
instead, the URL comes from ``sqlalchemy.url`` or ``GATEKEEPER_DATABASE_URL``.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from gatekeeper.store.tables import metadata

config = context.config


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ["GATEKEEPER_DATABASE_URL"]
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, sa.Connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from gatekeeper.store.store import Store

    url = config.get_main_option("sqlalchemy.url") or os.environ["GATEKEEPER_DATABASE_URL"]
    store = Store(url)
    try:
        with store.engine.begin() as conn:
            _configure(conn)
            context.run_migrations()
    finally:
        store.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
