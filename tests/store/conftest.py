"""Fixtures for the store tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL tests get a fresh schema each (dropped afterwards), in the database
named by ``GATEKEEPER_TEST_DATABASE_URL`` (default: the local ``test`` database).
When the server cannot be reached they are skipped, except under ``CI=true``,
where they fail: CI must run them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from gatekeeper.model import Compose, Decision, Outcome, Result
from gatekeeper.store import Store, Tx

COMPOSE_ID = "CentOS-Stream-9-20261124.0"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def postgres_url(gk_postgres_url: str) -> str:
    """A URL whose connections live in a fresh, empty schema of the test database."""
    return gk_postgres_url


@pytest.fixture
def db_url(gk_database_url: str) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    return gk_database_url


@pytest.fixture
def empty_store(db_url: str) -> Iterator[Store]:
    """A store on an empty database: no migrations run."""
    store = Store(db_url)
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def store(empty_store: Store) -> Store:
    """A migrated store holding nothing yet."""
    empty_store.upgrade()
    return empty_store


@pytest.fixture
def compose() -> Compose:
    return Compose.from_id(COMPOSE_ID, announced_at=T0)


@pytest.fixture
def tx(store: Store, compose: Compose) -> Iterator[Tx]:
    """An open transaction on a store that knows :data:`COMPOSE_ID`."""
    with store.transaction() as tx:
        tx.ensure_compose(compose)
    with store.transaction() as tx:
        yield tx


def _make_result(n: int = 0, **changes: object) -> Result:
    fields: dict[str, object] = {
        "compose": COMPOSE_ID,
        "testcase": f"t_functional.test_{n}",
        "outcome": Outcome.PASSED,
        "submit_time": T0,
    }
    fields.update(changes)
    return Result(**fields)  # type: ignore[arg-type]


def _make_decision(summary: str, *, compose: str = COMPOSE_ID, **changes: object) -> Decision:
    fields: dict[str, object] = {
        "compose": compose,
        "verdict": "pending",
        "summary": summary,
        "applicable_policies": ("t_functional",),
        "answers": (),
        "evaluated_at": T0,
    }
    fields.update(changes)
    return Decision(**fields)  # type: ignore[arg-type]


@pytest.fixture
def make_result() -> Callable[..., Result]:
    """``make_result(n, **changes)``: result number ``n`` of :data:`COMPOSE_ID`, passed."""
    return _make_result


@pytest.fixture
def make_decision() -> Callable[..., Decision]:
    """``make_decision(summary, **changes)``: a pending decision of :data:`COMPOSE_ID`."""
    return _make_decision
