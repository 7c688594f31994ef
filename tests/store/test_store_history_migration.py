"""Migration 0007 converts stored decision history to snapshots and changes, and fills the
latest result of each key: replaying the converted history gives every version back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from gatekeeper.store import Store
from gatekeeper.timeutil import format_time, parse_time

CID = "C-9-20261124.0"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _answer(testcase: str, kind: str, arch: str | None = "x86_64", rid: str | None = None,
            variant: str | None = None) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"type": kind, "team": "rdo", "testcase": testcase, "scenario": None,
                           "arch": arch, "variant": variant, "required": True}  # fmt: skip
    if rid is not None:
        out |= {"result_id": rid, "ref_url": f"https://ci.example.org/{rid}"}
    return out


def _payload(verdict: str, summary: str, answers: list[dict[str, Any]], n: int) -> dict[str, Any]:
    passed = ("test-result-passed", "test-result-failed-waived")
    return {
        "compose": CID, "verdict": verdict, "policies_satisfied": verdict == "passed",
        "summary": summary, "applicable_policies": ["rdo"],
        "satisfied_requirements": [a for a in answers if a["type"] in passed],
        "unsatisfied_requirements": [a for a in answers if a["type"] not in passed],
        "evaluated_at": format_time(NOW + timedelta(minutes=n)),
    }  # fmt: skip


def _history() -> list[dict[str, Any]]:
    """Versions of one compose: type changes, a result id change, a verdict change, an
    answer whose variant (its name) changes, and a long run of one-answer changes."""
    missing, passed, failed = "test-result-missing", "test-result-passed", "test-result-failed"
    versions = [
        _payload("pending", "Of 2 required tests, 2 results missing",
                 [_answer("rdo.a", missing), _answer("rdo.b", missing)], 0),
        _payload("pending", "Of 2 required tests, 1 result missing",
                 [_answer("rdo.a", passed, rid="1"), _answer("rdo.b", missing)], 1),
        _payload("failed", "Of 2 required tests, 1 test failed",
                 [_answer("rdo.a", passed, rid="1"), _answer("rdo.b", failed, rid="2")], 2),
        _payload("failed", "Of 2 required tests, 1 test failed",
                 [_answer("rdo.a", passed, rid="3"), _answer("rdo.b", failed, rid="4")], 3),
        _payload("failed", "Of 2 required tests, 1 test failed",
                 [_answer("rdo.a", passed, rid="5", variant="BaseOS"),
                  _answer("rdo.b", failed, rid="4")], 4),
    ]  # fmt: skip
    for n in range(5, 75):  # more than a run of 64 changes: a snapshot in between
        versions.append(_payload("failed", "Of 2 required tests, 1 test failed",
                                 [_answer("rdo.a", passed, rid=str(10 + n), variant="BaseOS"),
                                  _answer("rdo.b", failed, rid="4")], n))  # fmt: skip
    return versions


def _at_0006(store: Store, history: list[dict[str, Any]]) -> None:
    from alembic import command

    from gatekeeper.store.store import _alembic_config

    config = _alembic_config()
    with store.engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        now = "2026-11-24 06:00:00+00:00"
        conn.execute(sa.text(
            "INSERT INTO composes (id, product, type, date, respin, announced_at, state, "
            "promoted, created_at, updated_at, decision_version) VALUES (:cid, 'C-9', "
            "'production', '20261124', 0, :now, 'announced', false, :now, :now, :v)"),
            {"now": now, "cid": CID, "v": len(history)})  # fmt: skip
        for n, payload in enumerate(history, start=1):
            conn.execute(sa.text(
                "INSERT INTO decisions (compose_id, version, verdict, summary, payload, "
                "evaluated_at, created_at) VALUES (:cid, :v, :verdict, :summary, :payload, "
                ":at, :now)"), {"cid": CID, "v": n, "verdict": payload["verdict"],
                                "summary": payload["summary"], "payload": json.dumps(payload),
                                "now": now, "at": parse_time(payload["evaluated_at"])})  # fmt: skip
        for rid, (testcase, arch, minute) in enumerate(
            [("rdo.a", "x86_64", 1), ("rdo.a", "x86_64", 3), ("rdo.a", "x86_64", 2),
             ("rdo.b", "x86_64", 1), ("rdo.b", "aarch64", 5), ("rdo.b", "aarch64", 5)], start=1
        ):  # fmt: skip
            at = f"2026-11-24 06:{minute:02d}:00+00:00"
            conn.execute(sa.text(
                "INSERT INTO results (id, compose_id, testcase, outcome, arch, submit_time, "
                "data, dedupe_key, created_at) VALUES (:id, :cid, :tc, 'PASSED', :arch, :at, "
                "'{}', :key, :at)"), {"id": rid, "cid": CID, "tc": testcase, "arch": arch,
                                      "at": at, "key": f"k{rid}"})  # fmt: skip


def test_converted_history_replays_every_version_as_it_was(empty_store: Store) -> None:
    history = _history()
    _at_0006(empty_store, history)
    empty_store.upgrade()
    with empty_store.transaction(readonly=True) as tx:
        replayed = tx.decision_history(CID)
        latest = tx.latest_decision(CID)
        current = tx.current_decision(CID)
    assert [row["version"] for row in replayed] == list(range(1, len(history) + 1))
    assert [row["payload"] for row in replayed] == history
    assert latest is not None and latest["payload"] == history[-1]
    assert current is not None and current.to_json() == history[-1]
    with empty_store.engine.connect() as conn:
        kinds = conn.execute(sa.text(
            "SELECT version, payload IS NULL FROM decisions ORDER BY version")).all()  # fmt: skip
    changes = [version for version, is_change in kinds if is_change]
    snapshots = [version for version, is_change in kinds if not is_change]
    # first; the verdict changes (3); a name changes (5, its variant); 64 changes later (69)
    assert snapshots == [1, 3, 5, 69]
    assert len(changes) == len(history) - 4


def test_the_latest_result_of_each_key_is_filled_in(empty_store: Store) -> None:
    _at_0006(empty_store, _history())
    empty_store.upgrade()
    with empty_store.transaction(readonly=True) as tx:
        latest = {(r.testcase, r.arch): r.id for r in tx.latest_results(CID, None)}
        only_b = {r.id for r in tx.latest_results(CID, ["rdo.b"])}
    # rdo.a: result 2 is the latest submitted (06:03) though 3 came after it; rdo.b on
    # aarch64: 5 and 6 were submitted at once, the later id wins
    assert latest == {("rdo.a", "x86_64"): "2", ("rdo.b", "x86_64"): "4",
                      ("rdo.b", "aarch64"): "6"}  # fmt: skip
    assert only_b == {"4", "6"}
