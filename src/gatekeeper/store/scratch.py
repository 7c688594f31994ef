"""Scratch databases for tests and benchmarks: is a database reachable, and a fresh schema.

Test support that needs the driver lives here, with the rest of the code that knows SQL,
so :mod:`gatekeeper.testing` stays free of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url


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
