"""Waivers round-trip; decisions are versioned only when they change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gatekeeper.errors import InputError, NotFound
from gatekeeper.model import Answer, Compose, Decision, Waiver
from gatekeeper.store import Store, Tx

MakeDecision = Callable[..., Decision]
T1 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def _waiver(compose: Compose, **changes: object) -> Waiver:
    fields: dict[str, object] = {
        "id": "ignored",
        "compose": compose.id,
        "testcase": "rdo.tempest.smoke",
        "time": T1,
        "comment": "known flake, tracked in RHEL-1",
        "username": "releng",
    }
    fields.update(changes)
    return Waiver(**fields)  # type: ignore[arg-type]


def test_waivers_round_trip(tx: Tx, compose: Compose) -> None:
    narrow = _waiver(
        compose,
        scenario="packstack",
        arch="x86_64",
        time=T1.astimezone(timezone(timedelta(hours=-5))),
    )
    revoke = _waiver(compose, waived=False, comment="fixed")

    stored = [tx.add_waiver(narrow), tx.add_waiver(revoke)]

    assert tx.waivers_for(compose.id) == stored
    first, second = stored
    assert first.id != "ignored" and first.id.isdigit()
    assert int(second.id) > int(first.id)
    assert (first.scenario, first.arch, first.waived, first.time) == (
        "packstack",
        "x86_64",
        True,
        T1,
    )
    assert first.time.tzinfo is UTC
    assert (second.scenario, second.arch, second.waived) == (None, None, False)


def test_a_waiver_needs_a_comment_and_a_username(tx: Tx, compose: Compose) -> None:
    with pytest.raises(InputError, match="comment"):
        tx.add_waiver(_waiver(compose, comment=None))
    with pytest.raises(InputError, match="comment"):
        tx.add_waiver(_waiver(compose, username=""))


def test_a_first_decision_is_version_1(
    tx: Tx, compose: Compose, make_decision: MakeDecision
) -> None:
    decision = make_decision("Of 1 required test, 1 result missing")

    assert tx.record_decision(decision) == 1

    latest = tx.latest_decision(compose.id)
    assert latest is not None
    assert set(latest) == {
        "version",
        "verdict",
        "summary",
        "payload",
        "evaluated_at",
        "created_at",
        "cause",
    }
    assert latest["version"] == 1
    assert latest["verdict"] == "pending"
    assert latest["summary"] == decision.summary
    assert latest["payload"] == decision.to_json()
    assert latest["evaluated_at"] == decision.evaluated_at
    assert latest["created_at"].tzinfo is UTC
    row = tx.compose_row(compose.id)
    assert row is not None and row["decision_version"] == 1


def test_an_unchanged_decision_is_not_recorded_again(
    tx: Tx, compose: Compose, make_decision: MakeDecision
) -> None:
    tx.record_decision(make_decision("same"))

    assert tx.record_decision(make_decision("same", evaluated_at=T1)) is None

    assert [d["version"] for d in tx.decision_history(compose.id)] == [1]
    latest = tx.latest_decision(compose.id)
    assert latest is not None and latest["evaluated_at"] != T1


def test_a_changed_decision_gets_the_next_version(
    tx: Tx, compose: Compose, make_decision: MakeDecision
) -> None:
    passed = Answer(
        type="test-result-passed",
        team="t_functional",
        testcase="t_functional.smoke",
        required=True,
        is_satisfied=True,
        arch="x86_64",
        result_id="1",
    )
    versions = [
        tx.record_decision(make_decision("a")),
        tx.record_decision(make_decision("b")),
        tx.record_decision(make_decision("b", answers=(passed,), verdict="passed")),
        tx.record_decision(make_decision("b", answers=(passed,), verdict="passed")),
        tx.record_decision(make_decision("a")),
    ]

    assert versions == [1, 2, 3, None, 4]
    history = tx.decision_history(compose.id)
    assert [d["version"] for d in history] == [1, 2, 3, 4]
    assert [d["summary"] for d in history] == ["a", "b", "b", "a"]
    assert history[2]["payload"]["satisfied_requirements"][0]["result_id"] == "1"
    assert tx.latest_decision(compose.id) == history[-1]


def test_decision_versions_are_per_compose(
    tx: Tx, compose: Compose, make_decision: MakeDecision
) -> None:
    other = Compose.from_id("CentOS-Stream-10-20261124.0")
    tx.ensure_compose(other)

    tx.record_decision(make_decision("a"))
    tx.record_decision(make_decision("b"))

    assert tx.record_decision(make_decision("a", compose=other.id)) == 1
    assert tx.latest_decision("CentOS-Stream-8-20200101.0") is None
    assert tx.decision_history("CentOS-Stream-8-20200101.0") == []


def test_versions_continue_from_the_compose_counter(
    store: Store, compose: Compose, make_decision: MakeDecision
) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(compose)
        tx.update_compose(compose.id, decision_version=7)

    with store.transaction() as tx:
        assert tx.record_decision(make_decision("a")) == 8


def test_a_decision_of_an_unknown_compose_raises_not_found(
    tx: Tx, make_decision: MakeDecision
) -> None:
    with pytest.raises(NotFound):
        tx.record_decision(make_decision("a", compose="CentOS-Stream-8-20200101.0"))
