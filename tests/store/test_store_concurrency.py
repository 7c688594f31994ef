"""Several processes writing one compose at once: no lost result, no version gap."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import sqlalchemy as sa

from gatekeeper.model import Compose, Decision, Outcome, Result
from gatekeeper.store import Store
from gatekeeper.store.tables import results as results_table

WORKERS = 2
ROUNDS = 50
COMPOSE_ID = "CentOS-Stream-9-20261124.0"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _decision(seen: int) -> Decision:
    return Decision(
        compose=COMPOSE_ID,
        verdict="pending",
        summary=f"saw {seen} results",
        applicable_policies=("t_functional",),
        answers=(),
        evaluated_at=datetime.now(UTC),
    )


def _worker(url: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    """Each round, one transaction: lock, add a result, count them, record that count."""
    store = Store(url)
    start.wait(60)
    try:
        for n in range(ROUNDS):
            result = Result(
                compose=COMPOSE_ID,
                testcase="t_functional.concurrency",
                outcome=Outcome.PASSED,
                submit_time=T0,
                id=f"{worker}-{n}",
                source="test",
            )
            with store.transaction() as tx:
                tx.lock_compose(COMPOSE_ID)
                assert len(tx.add_results([result])) == 1
                seen = len(tx.results_for(COMPOSE_ID))
                assert tx.record_decision(_decision(seen)) is not None
    finally:
        store.dispose()


def test_concurrent_writers_are_serialised_per_compose(store: Store) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(Compose.from_id(COMPOSE_ID, announced_at=T0))
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(store.url, w, start)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=300)

    assert [proc.exitcode for proc in procs] == [0] * WORKERS
    total = WORKERS * ROUNDS
    with store.transaction() as tx:
        results = tx.results_for(COMPOSE_ID)
        history = tx.decision_history(COMPOSE_ID)
        row = tx.compose_row(COMPOSE_ID)
    with store.engine.connect() as conn:
        external_ids = conn.execute(sa.select(results_table.c.external_id)).scalars().all()
    assert len(results) == total
    assert sorted(external_ids) == sorted(f"{w}-{n}" for w in range(WORKERS) for n in range(ROUNDS))
    assert [d["version"] for d in history] == list(range(1, total + 1))
    assert [d["summary"] for d in history] == [f"saw {n} results" for n in range(1, total + 1)]
    assert history[-1]["payload"]["summary"] == f"saw {total} results"
    assert row is not None and row["decision_version"] == total
