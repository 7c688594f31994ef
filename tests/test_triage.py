"""#17 in the service, on SQLite and PostgreSQL: waivers that expire (at the instant, with
nobody reading), policies' waiver rules, known issues across composes, reruns, a gate's
retries after an ERROR, and who may do each."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper import hookimpl
from gatekeeper.config import Settings
from gatekeeper.errors import InputError, Unauthorized
from gatekeeper.model import Outcome, Result
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.store import scratch
from gatekeeper.testing import Clock
from gatekeeper.timeutil import utcnow

DAY1 = "CentOS-Stream-9-20261124.0"
POLICY = """team: tf
owns: ['tf.*']
reporters: {users: [tf-bot]}
applies_to: {products: ['CentOS-Stream-*']}
%s
gates:
  - testcase: tf.smoke
  - testcase: tf.install
    arches: [x86_64, aarch64]
    retries: 2
"""
OTHER = """team: rdo
owns: ['rdo.*']
reporters: {users: [rdo-bot]}
applies_to: {products: ['CentOS-Stream-*']}
gates:
  - testcase: rdo.tempest
"""
TF = Actor(name="tf-bot")
RDO = Actor(name="rdo-bot")
WAIVER = Actor(name="releng", can_waive=True)


class Hooks:
    """A plugin noting the rerun requests and decision versions sent to plugins."""

    def __init__(self) -> None:
        self.reruns: list[Any] = []
        self.versions: list[int] = []

    @hookimpl
    def gatekeeper_rerun_requested(self, app: Any, compose: Any, request: Any) -> None:
        self.reruns.append(request)

    @hookimpl
    def gatekeeper_decision_changed(self, app: Any, compose: Any, old: Any, new: Any,
                                    version: int) -> None:  # fmt: skip
        self.versions.append(version)


def started(settings: Settings, clock: Clock) -> Any:
    app = Gatekeeper(settings, pm=make_plugin_manager(), clock=clock)
    scratch.migrate(app.store)
    app.start()
    hooks = Hooks()
    app.pm.register(hooks)
    app.hooks_seen = hooks  # type: ignore[attr-defined]
    return app


@pytest.fixture
def app(
    gk_policies: Callable[..., Path], gk_settings: Settings, gk_clock: Clock,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:  # fmt: skip
    """The application gated by ``tf`` (its policy's top-level rules the test's ``param``)
    and ``rdo``, with a plugin noting the hook calls (``app.hooks_seen``)."""
    gk_policies(tf=POLICY % getattr(request, "param", ""), rdo=OTHER)
    app = started(gk_settings, gk_clock)
    yield app
    app.store.dispose()


def result(compose: str, testcase: str, outcome: str, at: datetime, rid: str,
           arch: str | None = None) -> Result:  # fmt: skip
    return Result(compose=compose, testcase=testcase, outcome=Outcome(outcome),
                  submit_time=at, id=rid, arch=arch)  # fmt: skip


def answer(app: Gatekeeper, compose: str, testcase: str, arch: str | None = None) -> Any:
    decision = app.current_decision(compose)
    assert decision is not None
    [found] = [a for a in decision.answers if a.testcase == testcase and a.arch == arch]
    return found


def versions(app: Gatekeeper, compose: str) -> int:
    return len(app.history(compose))


# -- waivers that expire ----------------------------------------------------------------------


def test_a_waiver_stops_counting_at_its_expiry_instant_with_nobody_reading(
    app: Any, gk_clock: Clock
) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.smoke", "FAILED", gk_clock.now, "1")], TF)
    waiver, _ = app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="flaky, tracked",
                          expires="1h", bug="https://bugs.example/1")  # fmt: skip
    instant = gk_clock.now + timedelta(hours=1)
    assert waiver.expires == instant
    waived = answer(app, DAY1, "tf.smoke")
    assert waived.type == "test-result-failed-waived"
    assert (waived.bug, waived.expires) == ("https://bugs.example/1", "2026-11-24T07:00:00Z")
    assert waived.waiver_id == waiver.id
    # the timer wakes at the instant: the next change is the expiry, not later
    next_change = app.next_deadline()
    assert next_change is not None and next_change < instant
    before = versions(app, DAY1)
    gk_clock.now = instant - timedelta(microseconds=1)
    assert app.act_on_deadlines() == []  # not yet
    gk_clock.now = instant  # exactly at the instant: it no longer counts
    stored = app.decide(DAY1)  # a read is a what-if here, and writes nothing
    assert stored.verdict == "failed" and versions(app, DAY1) == before
    assert app.act_on_deadlines() == [DAY1]
    expired = answer(app, DAY1, "tf.smoke")
    assert expired.type == "test-result-failed"
    assert expired.reason == f"waiver {waiver.id} expired at 2026-11-24T07:00:00Z"
    assert versions(app, DAY1) == before + 1
    assert app.history(DAY1)[-1]["cause"] == {"clock": "2026-11-24T07:00:00Z"}
    assert app.act_on_deadlines() == []  # done once


@pytest.mark.parametrize("app", ["waivers: {require_bug: true, max_expires: 14d}"],
                         indirect=True)  # fmt: skip
def test_a_policy_refuses_a_bugless_waiver_and_caps_its_expiry(app: Any, gk_clock: Clock) -> None:
    app.announce(DAY1)
    with pytest.raises(InputError) as refused:
        app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="no bug")
    assert refused.value.key == "bug" and "requires a bug URL" in str(refused.value)
    with pytest.raises(InputError) as too_long:
        app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="c", bug="https://b/1", expires="30d")
    assert too_long.value.key == "expires" and "further ahead than 2w" in str(too_long.value)
    with pytest.raises(InputError) as not_url:
        app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="c", bug="bug 1")
    assert not_url.value.key == "bug"
    assert app.waivers(DAY1) == []  # nothing stored by the refusals
    waiver, _ = app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="c", bug="https://b/1")
    assert waiver.expires == gk_clock.now + timedelta(days=14)  # the cap, given none
    revoked, _ = app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="done", revoke=True)
    assert revoked.waived is False  # a revocation needs neither


def test_a_waiver_per_gate_rule_and_bad_expiries_are_located(
    gk_policies: Callable[..., Path], gk_settings: Settings, gk_clock: Clock
) -> None:
    gk_policies(tf=(POLICY % "").replace(
        "  - testcase: tf.smoke\n", "  - testcase: tf.smoke\n    waivers: {require_bug: true}\n"),
        rdo=OTHER)  # fmt: skip
    app = started(gk_settings, gk_clock)
    app.announce(DAY1)
    with pytest.raises(InputError, match="requires a bug URL"):
        app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="c")
    app.waive(DAY1, "tf.install", actor=WAIVER, comment="c")  # another gate: no rule
    for bad in ("yesterday", "0d", "2026-01-01T00:00:00Z", "99999999999999999999d"):
        with pytest.raises(InputError) as refused:
            app.waive(DAY1, "tf.install", actor=WAIVER, comment="c", expires=bad)
        assert refused.value.key == "expires"


# -- known issues -------------------------------------------------------------------------------


def test_a_known_issue_waives_the_failure_in_three_composes_and_stops_at_expiry(
    app: Any, gk_clock: Clock
) -> None:
    issue = app.triage.add_known_issue(
        WAIVER, product="CentOS-Stream-9", testcase="tf.smoke", bug="https://bugs.example/7",
        expires="3d", comment="kernel regression, fix in 5.14.0-600",
    )  # fmt: skip
    start = gk_clock.now
    composes = []
    for day in range(4):
        gk_clock.now = start + timedelta(days=day, hours=1)
        cid = f"CentOS-Stream-9-202611{24 + day}.0"
        composes.append(cid)
        app.announce(cid)
        app.ingest([result(cid, "tf.smoke", "FAILED", gk_clock.now, f"r{day}")], TF)
        found = answer(app, cid, "tf.smoke")
        if day < 3:
            assert found.type == "test-result-failed-waived"
            assert (found.known_issue, found.bug) == (issue.id, "https://bugs.example/7")
            assert found.waiver_id is None
        else:  # past its expiry (3 days after it was added)
            assert found.type == "test-result-failed" and found.known_issue is None
    [use] = app.triage.known_issues()  # how many composes it waived
    assert use.composes == tuple(composes[:3])
    assert use.to_json()["composes_waived"] == 3
    # the open composes it waived fail again once the timer acts on its expiry
    assert answer(app, composes[2], "tf.smoke").type == "test-result-failed-waived"
    assert sorted(app.act_on_deadlines()) == composes[:3]
    for cid in composes[:3]:
        assert answer(app, cid, "tf.smoke").type == "test-result-failed"


def test_a_known_issue_applies_at_once_to_open_composes_and_closing_ends_it(
    app: Any, gk_clock: Clock
) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.smoke", "FAILED", gk_clock.now, "1")], TF)
    hooks = app.hooks_seen
    seen = len(hooks.versions)
    issue = app.triage.add_known_issue(WAIVER, product="CentOS-Stream-*", testcase="tf.smoke",
                                       bug="https://b/2", comment="known")  # fmt: skip
    assert answer(app, DAY1, "tf.smoke").known_issue == issue.id
    assert len(hooks.versions) == seen + 1  # the team is told: a new decision version
    assert app.history(DAY1)[-1]["cause"] == {"known_issue": issue.id, "added": True,
                                              "by": "releng"}  # fmt: skip
    closed = app.triage.close_known_issue(WAIVER, issue.id)
    assert closed.state == "closed" and closed.closed_by == "releng"
    assert answer(app, DAY1, "tf.smoke").type == "test-result-failed"
    assert app.triage.close_known_issue(WAIVER, issue.id).closed_at == closed.closed_at


def test_a_known_issue_excuses_failures_only_never_a_missing_result(app: Any) -> None:
    app.announce(DAY1)
    app.triage.add_known_issue(WAIVER, product="*", testcase="tf.smoke", bug="https://b/3",
                               comment="known")  # fmt: skip
    assert answer(app, DAY1, "tf.smoke").type == "test-result-missing"


# -- reruns ------------------------------------------------------------------------------------


def test_a_rerun_makes_the_answer_pending_until_a_newer_result(app: Any, gk_clock: Clock) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.smoke", "FAILED", gk_clock.now, "1")], TF)
    gk_clock.now += timedelta(minutes=5)
    request, decision = app.triage.rerun(DAY1, "tf.smoke", actor=TF)
    assert decision.verdict == "pending"
    pending = answer(app, DAY1, "tf.smoke")
    assert (pending.type, pending.reason, pending.rerun_id) == (
        "test-result-pending", "rerun requested", request.id)  # fmt: skip
    assert pending.result_id == "1"  # the result being run again
    [told] = app.hooks_seen.reruns
    assert (told.id, told.testcase, told.username) == (request.id, "tf.smoke", "tf-bot")
    assert app.triage.reruns(DAY1) == [request]
    # a result no newer than the request does not answer it
    app.ingest([result(DAY1, "tf.smoke", "PASSED", gk_clock.now - timedelta(minutes=1), "2")], TF)
    assert answer(app, DAY1, "tf.smoke").type == "test-result-pending"
    gk_clock.now += timedelta(minutes=5)
    app.ingest([result(DAY1, "tf.smoke", "PASSED", gk_clock.now, "3")], TF)
    done = answer(app, DAY1, "tf.smoke")
    assert (done.type, done.reason, done.result_id) == ("test-result-passed", None, "3")


def test_a_rerun_of_a_passed_result_needs_a_reason_and_an_entitled_actor(
    app: Any, gk_clock: Clock
) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.smoke", "PASSED", gk_clock.now, "1")], TF)
    with pytest.raises(InputError) as no_reason:
        app.triage.rerun(DAY1, "tf.smoke", actor=TF)
    assert no_reason.value.key == "reason"
    with pytest.raises(Unauthorized, match="not a reporter of team tf"):
        app.triage.rerun(DAY1, "tf.smoke", actor=RDO, reason="looks wrong")
    with pytest.raises(Unauthorized):
        app.triage.rerun(DAY1, "tf.smoke", actor=Actor(name="anyone", can_waive=True),
                         reason="x")  # fmt: skip
    assert app.triage.reruns(DAY1) == [] and app.hooks_seen.reruns == []
    request, _ = app.triage.rerun(DAY1, "tf.smoke", actor=Actor(name="root", is_admin=True),
                                  reason="the disk was full")  # fmt: skip
    assert request.reason == "the disk was full"
    assert answer(app, DAY1, "tf.smoke").type == "test-result-pending"


def test_waiving_and_known_issues_need_waive_rights(app: Any) -> None:
    app.announce(DAY1)
    with pytest.raises(Unauthorized):
        app.waive(DAY1, "tf.smoke", actor=TF, comment="mine")
    with pytest.raises(Unauthorized):
        app.triage.add_known_issue(TF, product="*", testcase="tf.smoke", bug="https://b/1",
                                   comment="c")  # fmt: skip
    issue = app.triage.add_known_issue(WAIVER, product="*", testcase="tf.smoke",
                                       bug="https://b/1", comment="c")  # fmt: skip
    with pytest.raises(Unauthorized):
        app.triage.close_known_issue(TF, issue.id)
    assert [u.issue.state for u in app.triage.known_issues()] == ["open"]


# -- retries after an ERROR --------------------------------------------------------------------


def test_an_error_is_retried_twice_then_counted(app: Any, gk_clock: Clock) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.smoke", "PASSED", gk_clock.now, "ok")], TF)
    arch = "x86_64"
    app.ingest([result(DAY1, "tf.install", "PASSED", gk_clock.now, "a", "aarch64")], TF)
    seen = []
    for n in (1, 2, 3):
        gk_clock.now += timedelta(minutes=10)
        app.ingest([result(DAY1, "tf.install", "ERROR", gk_clock.now, f"e{n}", arch)], TF)
        found = answer(app, DAY1, "tf.install", arch)
        seen.append((found.type, found.reason, found.retry, found.retries))
    assert seen == [
        ("test-result-pending", "errored (retry 1 of 2)", 1, 2),
        ("test-result-pending", "errored (retry 2 of 2)", 2, 2),
        ("test-result-errored", "errored after 2 retries", None, None),
    ]
    assert app.current_decision(DAY1).verdict == "failed"  # type: ignore[union-attr]
    requests = app.triage.reruns(DAY1)
    assert [(r.automatic, r.retry, r.username, r.arch) for r in requests] == [
        (True, 1, "gatekeeper", arch), (True, 2, "gatekeeper", arch)]  # fmt: skip
    assert [r.id for r in app.hooks_seen.reruns] == [r.id for r in requests]
    # the history records each retry
    kinds = [[(a.get("reason"), a.get("retry")) for a in
              h["payload"]["unsatisfied_requirements"] + h["payload"]["satisfied_requirements"]
              if a["testcase"] == "tf.install" and a["arch"] == arch]
             for h in app.history(DAY1)]  # fmt: skip
    assert [("errored (retry 1 of 2)", 1)] in kinds and [("errored (retry 2 of 2)", 2)] in kinds
    # a pass after the retries counts as ever
    gk_clock.now += timedelta(minutes=10)
    app.ingest([result(DAY1, "tf.install", "PASSED", gk_clock.now, "p", arch)], TF)
    assert answer(app, DAY1, "tf.install", arch).type == "test-result-passed"
    assert app.current_decision(DAY1).summary == "Of 4 required tests, 1 result missing"  # type: ignore[union-attr]


def test_a_retry_answered_by_a_pass_ends_the_retrying(app: Any, gk_clock: Clock) -> None:
    app.announce(DAY1)
    gk_clock.now += timedelta(minutes=1)
    app.ingest([result(DAY1, "tf.install", "ERROR", gk_clock.now, "e", "aarch64")], TF)
    assert answer(app, DAY1, "tf.install", "aarch64").retry == 1
    gk_clock.now += timedelta(minutes=1)
    app.ingest([result(DAY1, "tf.install", "PASSED", gk_clock.now, "p", "aarch64")], TF)
    found = answer(app, DAY1, "tf.install", "aarch64")
    assert (found.type, found.reason) == ("test-result-passed", None)
    assert len(app.triage.reruns(DAY1)) == 1


def test_decide_agrees_with_the_stored_decision_and_writes_nothing(
    app: Any, gk_clock: Clock
) -> None:
    app.announce(DAY1)
    app.ingest([result(DAY1, "tf.install", "ERROR", gk_clock.now, "e", "x86_64"),
                result(DAY1, "tf.smoke", "FAILED", gk_clock.now, "f")], TF)  # fmt: skip
    app.triage.add_known_issue(WAIVER, product="*", testcase="tf.smoke", bug="https://b/1",
                               comment="c", expires="2h")  # fmt: skip
    gk_clock.now += timedelta(minutes=1)
    before = versions(app, DAY1)
    assert app.decide(DAY1) == app.current_decision(DAY1)
    gk_clock.now += timedelta(hours=3)  # the known issue expired: a what-if until acted on
    what_if = app.decide(DAY1)
    assert answer_of(what_if, "tf.smoke").type == "test-result-failed"
    assert versions(app, DAY1) == before
    app.act_on_deadlines()
    assert app.decide(DAY1) == app.current_decision(DAY1)
    assert answer_of(app.current_decision(DAY1), "tf.smoke").type == "test-result-failed"


def answer_of(decision: Any, testcase: str) -> Any:
    [found] = [a for a in decision.answers if a.testcase == testcase]
    return found


def test_the_deadline_timer_ends_a_waiver_at_its_expiry_on_the_real_clock(
    gk_policies: Callable[..., Path], gk_settings: Settings
) -> None:
    gk_policies(tf=POLICY % "", rdo=OTHER)
    app = started(gk_settings, utcnow)  # type: ignore[arg-type]
    try:
        app.announce(DAY1)
        app.ingest([result(DAY1, "tf.smoke", "FAILED", utcnow(), "1")], TF)
        waiver, _ = app.waive(DAY1, "tf.smoke", actor=WAIVER, comment="c", expires="2s")
        app.deadline_timer.start()  # and nobody reads the decision from here on
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            stored = answer(app, DAY1, "tf.smoke")
            if stored.type == "test-result-failed":
                break
            time.sleep(0.05)
        app.deadline_timer.stop()
        assert stored.reason is not None and stored.reason.startswith(f"waiver {waiver.id} expired")
        decided = app.current_decision(DAY1)
        assert decided is not None and waiver.expires is not None
        assert waiver.expires <= decided.evaluated_at < waiver.expires + timedelta(seconds=1)
    finally:
        app.deadline_timer.stop()
        app.store.dispose()
