"""Waivers round-trip; decisions are versioned only when they change.

Versions are recorded by the service (announcing, reporting, waiving, deciding again),
never by a query: these tests make them through the application on the same store and
read them back with the store's queries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.errors import InputError, NotFound
from gatekeeper.model import Compose, Decision, Outcome, Result, Waiver
from gatekeeper.service import Actor, Gatekeeper, IngestReport
from gatekeeper.store import Tx
from gatekeeper.store.decision_history import snapshot_delta
from gatekeeper.testing import Clock

MakeDecision = Callable[..., Decision]
T1 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
CID = "CentOS-Stream-9-20261124.0"
UNKNOWN = "CentOS-Stream-8-20200101.0"
POLICY = """\
team: t_functional
owns: ["t_functional.*"]
gates:
  - testcase: t_functional.smoke
  - testcase: t_functional.install
"""
CI = Actor(name="ci", is_admin=True)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(t_functional=POLICY)


def _result(app: Gatekeeper, testcase: str, outcome: str, rid: str, compose: str = CID) -> Result:
    """A result of ``t_functional.<testcase>``, submitted a minute after the one before."""
    app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    return Result(compose=compose, testcase=f"t_functional.{testcase}",
                  outcome=Outcome.parse(outcome), submit_time=app.clock(), id=rid,
                  source="ci")  # fmt: skip


def _report(
    app: Gatekeeper, testcase: str, outcome: str, rid: str, compose: str = CID
) -> IngestReport:
    return app.ingest([_result(app, testcase, outcome, rid, compose)], CI)


def _answer(decision: dict[str, Any], testcase: str) -> dict[str, Any]:
    """The answer of ``t_functional.<testcase>`` in a Decision JSON."""
    answers: list[dict[str, Any]] = (
        decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    )
    [found] = [a for a in answers if a["testcase"] == f"t_functional.{testcase}"]
    return found


def _stored(
    app: Gatekeeper, compose_id: str = CID
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], int]:
    """The compose's latest decision, its history and its version counter, as stored."""
    with app.store.transaction() as tx:
        row = tx.compose_row(compose_id)
        assert row is not None
        return (
            tx.latest_decision(compose_id),
            tx.decision_history(compose_id),
            row["decision_version"],
        )


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


def test_a_first_decision_is_version_1(gk_app: Gatekeeper, gk_clock: Clock) -> None:
    announced_at = gk_clock.now
    gk_app.announce(CID)

    latest, history, counter = _stored(gk_app)
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
    assert latest["summary"] == "Of 2 required tests, 2 results missing"
    assert latest["cause"] == {"announced": True}
    current = gk_app.current_decision(CID)
    assert current is not None and latest["payload"] == current.to_json()
    assert [a["type"] for a in latest["payload"]["unsatisfied_requirements"]] == [
        "test-result-missing"
    ] * 2
    assert latest["evaluated_at"] == announced_at
    assert latest["created_at"].tzinfo is UTC
    assert counter == 1
    assert history == [latest]


def test_an_unchanged_decision_is_not_recorded_again(gk_app: Gatekeeper, gk_clock: Clock) -> None:
    announced_at = gk_clock.now
    gk_app.announce(CID)
    gk_clock.now += timedelta(hours=1)

    decision = gk_app.redecide(CID, {"asked": "again"})  # every requirement evaluated again
    smoke = _result(gk_app, "smoke", "PASSED", "r1")
    assert gk_app.ingest([smoke], CI).version == 2
    again = gk_app.ingest([smoke], CI)  # known already

    assert decision.evaluated_at == announced_at  # the time of its version, not of asking
    assert (again.duplicates, again.version) == (1, None)
    latest, history, counter = _stored(gk_app)
    assert [d["version"] for d in history] == [1, 2]
    assert history[0]["cause"] == {"announced": True}  # not the decision asked again
    assert latest is not None and latest["version"] == counter == 2


def test_a_passed_answer_named_by_a_newer_result_is_not_a_new_version(gk_app: Gatekeeper) -> None:
    gk_app.announce(CID)
    first = _report(gk_app, "smoke", "PASSED", "r1")
    newer = _report(gk_app, "smoke", "PASSED", "r2")

    assert (first.version, newer.version) == (2, None)
    latest, history, counter = _stored(gk_app)
    assert [d["version"] for d in history] == [1, 2] and counter == 2
    # the version as it was recorded names the result it was made for...
    assert _answer(history[-1]["payload"], "smoke")["result_id"] == first.stored[0].id
    # ...the current decision names the newer one, under the same version
    assert latest is not None and latest["version"] == 2
    assert _answer(latest["payload"], "smoke")["result_id"] == newer.stored[0].id
    assert _answer(gk_app.decide(CID).to_json(), "smoke")["result_id"] == newer.stored[0].id
    assert first.stored[0].id != newer.stored[0].id


def test_a_changed_decision_gets_the_next_version(gk_app: Gatekeeper) -> None:
    gk_app.announce(CID)
    smoke = _result(gk_app, "smoke", "PASSED", "r1")
    versions = [
        gk_app.ingest([smoke], CI).version,  # answers change, the verdict does not
        gk_app.ingest([smoke], CI).version,  # nothing new
        _report(gk_app, "install", "FAILED", "r2").version,
        _report(gk_app, "install", "PASSED", "r3").version,
        _report(gk_app, "smoke", "FAILED", "r4").version,
    ]

    assert versions == [2, None, 3, 4, 5]
    latest, history, counter = _stored(gk_app)
    assert [d["version"] for d in history] == [1, 2, 3, 4, 5] and counter == 5
    assert [d["verdict"] for d in history] == ["pending", "pending", "failed", "passed", "failed"]
    assert [d["summary"] for d in history] == [
        "Of 2 required tests, 2 results missing",
        "Of 2 required tests, 1 result missing",
        "Of 2 required tests, 1 test failed",
        "All required tests (2 total) have passed or been waived",
        "Of 2 required tests, 1 test failed",
    ]
    assert [d["payload"]["summary"] for d in history] == [d["summary"] for d in history]
    [passed] = history[1]["payload"]["satisfied_requirements"]
    assert (passed["testcase"], passed["type"]) == ("t_functional.smoke", "test-result-passed")
    assert passed["result_id"] == gk_app.results(CID)[0].id
    assert [a["type"] for a in history[1]["payload"]["unsatisfied_requirements"]] == [
        "test-result-missing"
    ]
    assert len({d["evaluated_at"] for d in history}) == 5
    assert latest == history[-1]


def test_decision_versions_are_per_compose(gk_app: Gatekeeper) -> None:
    other = "CentOS-Stream-10-20261124.0"
    gk_app.announce(CID)
    gk_app.announce(other)

    _report(gk_app, "smoke", "PASSED", "r1")
    _report(gk_app, "install", "FAILED", "r2")

    assert [d["version"] for d in _stored(gk_app)[1]] == [1, 2, 3]
    latest, history, counter = _stored(gk_app, other)
    assert [d["version"] for d in history] == [1] and counter == 1
    assert latest is not None and latest["summary"] == "Of 2 required tests, 2 results missing"
    with gk_app.store.transaction() as tx:
        assert tx.latest_decision(UNKNOWN) is None
        assert tx.decision_history(UNKNOWN) == []


def test_versions_continue_from_the_compose_counter(
    gk_app: Gatekeeper, gk_clock: Clock, make_decision: MakeDecision
) -> None:
    """A compose decided before decision states: its history and counter, no state."""
    with gk_app.store.transaction() as tx:
        tx.ensure_compose(Compose.from_id(CID, announced_at=gk_clock.now))
        for version in range(1, 8):
            payload = make_decision(f"old v{version}").to_json()
            tx.add_decision_version(
                CID, version, verdict="pending", summary=payload["summary"],
                evaluated_at=T1, created_at=T1, cause=None, payload=payload,
                delta=snapshot_delta(payload, []),
            )  # fmt: skip
        tx.update_compose(CID, decision_version=7)
    old = gk_app.current_decision(CID)
    assert old is not None and old.summary == "old v7"

    assert _report(gk_app, "smoke", "PASSED", "r1").version == 8

    latest, history, counter = _stored(gk_app)
    assert [d["version"] for d in history] == list(range(1, 9)) and counter == 8
    assert latest is not None and latest["summary"] == "Of 2 required tests, 1 result missing"


def test_a_decision_of_an_unknown_compose_raises_not_found(gk_app: Gatekeeper) -> None:
    with pytest.raises(NotFound, match="not known"):
        gk_app.redecide(UNKNOWN, {"asked": "again"})
    with pytest.raises(NotFound, match="not known"):
        gk_app.current_decision(UNKNOWN)
    with pytest.raises(NotFound, match="not known"):
        _report(gk_app, "smoke", "PASSED", "r1", compose=UNKNOWN)
    with gk_app.store.transaction() as tx:
        assert tx.current_decision(UNKNOWN) is None
        assert tx.decision_history(UNKNOWN) == []
