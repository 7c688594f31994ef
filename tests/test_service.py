"""Use cases over the real store (SQLite and PostgreSQL): ingest, authorise, waive, promote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper import hookimpl
from gatekeeper.errors import InputError, NotFound, Unauthorized
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.timeutil import format_time

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
  groups: [CentOS/rdo]
gates:
  - testcase: rdo.smoke
    arches: [x86_64]
  - testcase: rdo.extra
    required: false
"""
IDM = "team: idm\ngates:\n  - testcase: idm.install\n"
BOT = Actor(name="rdo-bot")
OPERATOR = Actor(name="releng", is_admin=True, can_waive=True)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO, idm=IDM)


@pytest.fixture
def app(gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=6))
    return gk_app


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def gatekeeper_promote_compose(self, app: Any, compose: Any, decision: Any) -> None:
        self.calls.append(("promote", decision.verdict))

    @hookimpl
    def gatekeeper_promotion_revoked(self, app: Any, compose: Any, decision: Any) -> None:
        self.calls.append(("revoked", decision.verdict))

    @hookimpl
    def gatekeeper_decision_changed(
        self, app: Any, compose: Any, old: Any, new: Any, version: int
    ) -> None:
        self.calls.append(("changed", f"v{version} {new.verdict}"))


def result(app: Gatekeeper, testcase: str, outcome: str, **kw: Any) -> Result:
    return Result(
        compose=CID,
        testcase=testcase,
        outcome=Outcome.parse(outcome),
        submit_time=app.clock(),
        **kw,
    )


def test_ingest_stores_and_decides(app: Gatekeeper) -> None:
    report = app.ingest([result(app, "rdo.smoke", "PASSED", arch="x86_64")], BOT)
    assert (len(report.stored), report.duplicates, report.version) == (1, 0, 2)  # v1: announced
    assert report.decision.summary == "Of 2 required tests, 1 result missing"
    assert [r.reporter for r in app.results(CID)] == ["rdo-bot"]


def test_ingest_is_idempotent(app: Gatekeeper) -> None:
    first = result(app, "rdo.smoke", "FAILED", arch="x86_64", id="ci-7", source="ci")
    app.ingest([first], BOT)
    again = app.ingest([first], BOT)
    assert (len(again.stored), again.duplicates, again.version) == (0, 1, None)
    assert len(app.results(CID)) == 1


def test_unknown_testcases_are_refused_whole(app: Gatekeeper) -> None:
    with pytest.raises(InputError, match=r"owned by no team's policy: nobody\.owns\.this"):
        app.ingest(
            [result(app, "rdo.smoke", "PASSED"), result(app, "nobody.owns.this", "PASSED")],
            OPERATOR,
        )
    assert app.results(CID) == []


def test_only_a_teams_reporters_may_report_its_testcases(app: Gatekeeper) -> None:
    batch = [result(app, "rdo.smoke", "PASSED"), result(app, "idm.install", "PASSED")]
    with pytest.raises(
        Unauthorized, match=r"rdo-bot is not a reporter .*: idm.install \(team idm\)"
    ):
        app.ingest(batch, BOT)
    assert app.results(CID) == []


def test_a_reporter_may_be_allowed_by_group(app: Gatekeeper) -> None:
    member = Actor(name="someone", groups=("CentOS/rdo",))
    assert app.ingest([result(app, "rdo.smoke", "PASSED")], member).stored


def test_a_stranger_may_not_report(app: Gatekeeper) -> None:
    with pytest.raises(Unauthorized):
        app.ingest([result(app, "rdo.smoke", "PASSED")], Actor(name="mallory", groups=("x",)))


def test_results_for_an_unknown_compose_are_refused(app: Gatekeeper) -> None:
    other = Result(
        compose="CentOS-Stream-9-20261125.0",
        testcase="rdo.smoke",
        outcome=Outcome.PASSED,
        submit_time=app.clock(),
    )
    with pytest.raises(NotFound, match="not known"):
        app.ingest([other], BOT)


def test_promotion_fires_once_and_is_revoked_when_the_verdict_leaves_passed(
    app: Gatekeeper,
) -> None:
    recorder = Recorder()
    app.pm.register(recorder)
    app.ingest([result(app, "rdo.smoke", "PASSED", arch="x86_64", id="1")], BOT)
    app.ingest([result(app, "idm.install", "PASSED", id="2")], OPERATOR)
    app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    app.ingest([result(app, "idm.install", "FAILED", id="3")], OPERATOR)
    assert recorder.calls == [  # v1 (announced, pending) was sent before the recorder came
        ("changed", "v2 pending"),
        ("changed", "v3 passed"),
        ("promote", "passed"),
        ("changed", "v4 failed"),
        ("revoked", "failed"),
    ]
    assert app.history(CID)[-1]["verdict"] == "failed"


def test_an_informational_result_changes_the_decision_but_not_promotion(app: Gatekeeper) -> None:
    recorder = Recorder()
    app.pm.register(recorder)
    app.ingest(
        [result(app, "rdo.smoke", "PASSED", arch="x86_64"), result(app, "idm.install", "PASSED")],
        OPERATOR,
    )
    app.ingest([result(app, "rdo.extra", "FAILED")], BOT)
    assert [c for c in recorder.calls if c[0] != "changed"] == [("promote", "passed")]
    assert [v["version"] for v in app.history(CID)] == [1, 2, 3]
    assert [v["verdict"] for v in app.history(CID)] == ["pending", "passed", "passed"]


def test_a_failing_hook_loses_no_result(app: Gatekeeper) -> None:
    class Broken:
        @hookimpl
        def gatekeeper_decision_changed(self, **_: Any) -> None:
            raise RuntimeError("bus down")

    app.pm.register(Broken())
    report = app.ingest([result(app, "rdo.smoke", "PASSED", arch="x86_64")], BOT)
    assert report.version == 2
    assert len(app.results(CID)) == 1
    with app.store.transaction() as tx:
        failed = [row for row in tx.pending_outbox() if row["last_error"]]
    assert failed and "bus down" in failed[0]["last_error"]


def test_waive_and_revoke(app: Gatekeeper) -> None:
    app.ingest(
        [result(app, "rdo.smoke", "FAILED", arch="x86_64"), result(app, "idm.install", "PASSED")],
        OPERATOR,
    )
    waiver, decision = app.waive(CID, "rdo.smoke", actor=OPERATOR, comment="known flake")
    assert decision.verdict == "passed"
    smoke = next(a for a in decision.answers if a.testcase == "rdo.smoke")
    assert (smoke.type, smoke.waiver_id) == ("test-result-failed-waived", waiver.id)
    app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    _, decision = app.waive(CID, "rdo.smoke", actor=OPERATOR, comment="fixed", revoke=True)
    assert decision.verdict == "failed"
    assert [w.waived for w in app.waivers(CID)] == [True, False]


def test_only_identities_allowed_to_waive_may_waive(app: Gatekeeper) -> None:
    with pytest.raises(Unauthorized, match="rdo-bot may not waive"):
        app.waive(CID, "rdo.smoke", actor=BOT, comment="please")
    assert app.waivers(CID) == []


def test_a_waiver_needs_a_comment(app: Gatekeeper) -> None:
    with pytest.raises(InputError, match="needs a comment"):
        app.waive(CID, "rdo.smoke", actor=OPERATOR, comment="  ")


IDM_12H = "team: idm\ngates:\n  - testcase: idm.install\n    deadline: 12h\n"


def test_decide_what_if_records_nothing(app: Gatekeeper, gk_policies: Any) -> None:
    gk_policies(idm=IDM_12H)
    app.reload_policies()
    before = app.history(CID)
    decision = app.decide(CID, now=app.clock() + timedelta(days=3))
    assert decision.verdict == "failed"  # idm.install overdue, three days on
    assert app.history(CID) == before
    assert [h["verdict"] for h in before] == ["pending"]
    current = app.current_decision(CID)
    assert current is not None and current.verdict == "pending"
    assert app.decide(CID).verdict == "pending"


def test_a_change_made_by_time_alone_is_recorded_by_acting_on_deadlines(
    gk_app: Gatekeeper, gk_policies: Any
) -> None:
    app = gk_app
    gk_policies(idm=IDM_12H)
    app.reload_policies()
    app.announce(CID, at=app.clock() - timedelta(hours=6))
    deadline = app.compose(CID).announced_at + timedelta(hours=12)
    assert app.next_deadline() == deadline
    assert app.act_on_deadlines() == []  # not passed yet
    assert app.decide(CID).verdict == "pending"
    app.clock.now += timedelta(hours=7)  # type: ignore[attr-defined]
    assert app.decide(CID).verdict == "failed"
    assert [h["verdict"] for h in app.history(CID)] == ["pending"], "a read never writes"

    assert app.act_on_deadlines() == [CID]
    history = app.history(CID)
    assert [h["verdict"] for h in history] == ["pending", "failed"]
    assert history[-1]["cause"] == {"clock": format_time(deadline)}
    assert history[-1]["evaluated_at"] == app.clock()
    current = app.current_decision(CID)
    assert current is not None and current.verdict == "failed"
    assert app.act_on_deadlines() == []  # acted on once
    assert app.next_deadline() is None
    assert len(app.history(CID)) == 2


def test_one_failing_pull_plugin_does_not_stop_the_others(app: Gatekeeper) -> None:
    class Down:
        @hookimpl
        def gatekeeper_pull_results(self, app: Any, compose: Any) -> list[Result]:
            raise ConnectionError("resultsdb down")

    class Up:
        @hookimpl
        def gatekeeper_pull_results(self, app: Any, compose: Any) -> list[Result]:
            return [
                result(app, "rdo.smoke", "PASSED", arch="x86_64", id="r1"),
                result(app, "unowned.test", "FAILED", id="r2"),
            ]

    app.pm.register(Down())
    app.pm.register(Up())
    with pytest.raises(ConnectionError, match="resultsdb down"):
        app.pull_results(CID)
    assert [(r.testcase, r.reporter) for r in app.results(CID)] == [("rdo.smoke", "pull")]


def test_each_decision_version_says_what_caused_it(app: Gatekeeper) -> None:
    report = app.ingest([result(app, "rdo.smoke", "FAILED", arch="x86_64", id="r1")], BOT)
    waiver, _ = app.waive(CID, "rdo.smoke", actor=OPERATOR, comment="known flake")
    causes = [row["cause"] for row in app.history(CID)]
    assert causes == [  # the stored results' ids, as the decision's answers name them
        {"announced": True},
        {"results": [report.stored[0].id], "count": 1, "reporter": "rdo-bot"},
        {"waiver": waiver.id, "waived": True, "by": "releng"},
    ]
