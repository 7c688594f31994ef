"""Several processes writing one compose at once: no lost result, no version gap."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from gatekeeper.config import Settings
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.store import Store
from gatekeeper.store.tables import results as results_table

WORKERS = 2
ROUNDS = 50
TOTAL = WORKERS * ROUNDS
COMPOSE_ID = "CentOS-Stream-9-20261124.0"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CI = Actor(name="ci", is_admin=True)


def _testcase(worker: int, n: int) -> str:
    return f"t_functional.c{worker}_{n}"


def _policy() -> str:
    """One gate per (worker, round): every report satisfies one more requirement, so every
    report makes a version whose tally only a serialised history gets right."""
    gates = "".join(
        f"  - testcase: {_testcase(w, n)}\n" for w in range(WORKERS) for n in range(ROUNDS)
    )
    return f'team: t_functional\nowns: ["t_functional.*"]\ngates:\n{gates}'


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=url, policies_dir=tmp_path / "policies")


def _worker(settings: Settings, worker: int, start: multiprocessing.synchronize.Event) -> None:
    """Each round, one report: one result of the worker's own testcase, decided at once."""
    app = Gatekeeper(settings)
    start.wait(60)
    try:
        for n in range(ROUNDS):
            result = Result(
                compose=COMPOSE_ID,
                testcase=_testcase(worker, n),
                outcome=Outcome.PASSED,
                submit_time=T0,
                id=f"{worker}-{n}",
                source="test",
            )
            report = app.ingest([result], CI)
            assert len(report.stored) == 1 and report.version is not None
    finally:
        app.store.dispose()


def test_concurrent_writers_are_serialised_per_compose(store: Store, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "t_functional.yaml").write_text(_policy(), encoding="utf-8")
    settings = _settings(tmp_path, store.url)
    app = Gatekeeper(settings)
    app.start()
    try:
        app.announce(COMPOSE_ID, at=T0)  # version 1: every result missing
    finally:
        app.store.dispose()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(settings, w, start)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=300)

    assert [proc.exitcode for proc in procs] == [0] * WORKERS
    with store.transaction() as tx:
        results = tx.results_for(COMPOSE_ID)
        history = tx.decision_history(COMPOSE_ID)
        row = tx.compose_row(COMPOSE_ID)
        current = tx.current_decision(COMPOSE_ID)
    with store.engine.connect() as conn:
        external_ids = conn.execute(sa.select(results_table.c.external_id)).scalars().all()
    assert len(results) == TOTAL
    assert sorted(external_ids) == sorted(f"{w}-{n}" for w in range(WORKERS) for n in range(ROUNDS))
    assert [d["version"] for d in history] == list(range(1, TOTAL + 2))
    missing = [TOTAL - n for n in range(TOTAL)]
    assert [d["summary"] for d in history] == [
        *(f"Of {TOTAL} required tests, {m} result{'s' * (m > 1)} missing" for m in missing),
        f"All required tests ({TOTAL} total) have passed or been waived",
    ]
    assert [d["verdict"] for d in history] == ["pending"] * TOTAL + ["passed"]
    assert history[-1]["payload"]["unsatisfied_requirements"] == []
    assert len(history[-1]["payload"]["satisfied_requirements"]) == TOTAL
    assert current is not None and current.to_json() == history[-1]["payload"]
    assert row is not None and row["decision_version"] == TOTAL + 1
