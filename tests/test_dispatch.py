"""The outbox dispatcher (SQLite and PostgreSQL): every owed hook call is sent, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gatekeeper import hookimpl
from gatekeeper.model import Decision, Outcome, Result
from gatekeeper.outbox import Dispatcher, backoff
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.store import tables as t
from gatekeeper.timeutil import utcnow

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
gates:
  - testcase: rdo.smoke
"""
BOT = Actor(name="rdo-bot")


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def _record(self, what: str, value: Any) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.calls.append((what, value))

    @hookimpl
    def gatekeeper_decision_changed(
        self, app: Any, compose: Any, old: Any, new: Decision, version: int
    ) -> None:
        self._record("changed", (compose.id, version, old and old.verdict, new.verdict))

    @hookimpl
    def gatekeeper_promote_compose(self, app: Any, compose: Any, decision: Decision) -> None:
        self._record("promote", (compose.id, decision.verdict))

    @hookimpl
    def gatekeeper_promotion_revoked(self, app: Any, compose: Any, decision: Decision) -> None:
        self._record("revoked", (compose.id, decision.verdict))


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO)


@pytest.fixture
def app(gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=1))
    return gk_app


def smoke(app: Gatekeeper, outcome: str, n: int) -> Result:
    return Result(
        compose=CID,
        testcase="rdo.smoke",
        outcome=Outcome.parse(outcome),
        submit_time=app.clock() + timedelta(seconds=n),
        id=f"r{n}",
    )


def pending(app: Gatekeeper) -> list[dict[str, Any]]:
    with app.store.transaction() as tx:
        return tx.pending_outbox(limit=10_000)


def crash_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit, then die before the owed calls are sent: after_commit never runs."""
    monkeypatch.setattr(Dispatcher, "after_commit", lambda self, owed: None)


def test_hook_calls_are_sent_right_after_the_commit(gk_app: Gatekeeper) -> None:
    app = gk_app
    recorder = Recorder()
    app.pm.register(recorder)
    app.announce(CID)  # decided at once: version 1, pending
    assert recorder.calls == [("changed", (CID, 1, None, "pending"))]
    assert pending(app) == []
    app.ingest([smoke(app, "PASSED", 1)], BOT)
    assert recorder.calls[1:] == [
        ("changed", (CID, 2, "pending", "passed")),
        ("promote", (CID, "passed")),
    ]
    assert pending(app) == []


def test_a_crash_between_commit_and_send_loses_nothing(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    app.pm.register(recorder)
    with monkeypatch.context() as patch:
        crash_before_sending(patch)
        app.ingest([smoke(app, "PASSED", 1)], BOT)
    assert recorder.calls == []
    assert [row["kind"] for row in pending(app)] == [
        "gatekeeper_decision_changed",
        "gatekeeper_promote_compose",
    ]

    # "after restart": a new dispatcher on the same store sends them, rebuilt from the outbox
    assert app.dispatcher.run_once() == 2
    assert recorder.calls == [
        ("changed", (CID, 2, "pending", "passed")),
        ("promote", (CID, "passed")),
    ]
    assert pending(app) == []
    assert app.dispatcher.run_once() == 0


def test_the_rebuilt_decision_equals_the_committed_one(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Decision] = []

    class Keep:
        @hookimpl
        def gatekeeper_promote_compose(self, app: Any, compose: Any, decision: Decision) -> None:
            seen.append(decision)

    app.pm.register(Keep())
    with monkeypatch.context() as patch:
        crash_before_sending(patch)
        decided = app.ingest([smoke(app, "PASSED", 1)], BOT).decision
    app.dispatcher.run_once()
    assert seen == [decided]


def test_a_failing_hook_is_retried_after_a_backoff_and_then_sent_once(app: Gatekeeper) -> None:
    failures = {"left": 1}
    sent: list[int] = []

    class Flaky:
        @hookimpl
        def gatekeeper_decision_changed(self, version: int, **_: Any) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectionError("bus down")
            sent.append(version)

    app.pm.register(Flaky())
    app.ingest([smoke(app, "PASSED", 1)], BOT)
    [row] = [r for r in pending(app) if r["kind"] == "gatekeeper_decision_changed"]
    assert (row["attempts"], row["last_error"]) == (1, "ConnectionError: bus down")
    assert row["not_before"] is not None
    assert app.dispatcher.run_once() == 0, "not due before its backoff ends"

    with app.store.transaction() as tx:  # the backoff is over
        tx._conn.execute(sa.update(t.outbox).values(not_before=None))
    assert app.dispatcher.run_once() == 1
    assert sent == [2]  # version 1 (announced) was sent before the hook came
    assert pending(app) == []


def test_backoff_doubles_up_to_ten_minutes() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [2, 4, 8, 16]
    assert backoff(50) == timedelta(minutes=10)


def test_an_entry_for_an_unknown_hook_goes_dead_at_once_with_the_reason(app: Gatekeeper) -> None:
    with app.store.transaction() as tx:
        tx.enqueue("gatekeeper_no_such_hook", {"compose": CID}, compose_id=CID)
    app.dispatcher.run_once()
    [row] = pending(app)
    assert row["last_error"] == "no such hook: gatekeeper_no_such_hook"
    assert (row["attempts"], row["dead_at"] is not None) == (1, True)
    make_due(app)
    assert app.dispatcher.run_once() == 0


def test_two_dispatchers_never_send_one_entry_twice(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes' worth of dispatchers (their own Store each) race over one outbox."""
    recorder = Recorder(delay=0.002)
    with monkeypatch.context() as patch:
        crash_before_sending(patch)
        for n in range(60):  # alternate, so every report changes the decision
            app.ingest([smoke(app, "PASSED" if n % 2 == 0 else "FAILED", n)], BOT)
    owed = len(pending(app))
    assert owed >= 60

    workers = []
    for _ in range(2):
        other = Gatekeeper(app.settings, pm=make_plugin_manager(), clock=app.clock)
        other.pm.register(recorder)
        workers.append(other)
    barrier = threading.Barrier(len(workers))

    def drain(worker: Gatekeeper) -> None:
        barrier.wait()
        while worker.dispatcher.run_once(limit=5):
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.store.dispose()

    changed = [value for what, value in recorder.calls if what == "changed"]
    assert len(recorder.calls) == owed
    assert sorted(v[1] for v in changed) == list(range(2, 62))  # 1: announced, sent then
    assert pending(app) == []


@pytest.mark.postgres
def test_a_locked_entry_is_skipped_and_sent_after_its_holder_dies(
    gk_postgres_url: str, gk_policies: Callable[..., Path], tmp_path: Path
) -> None:
    from gatekeeper.config import Settings

    settings = Settings(
        var_dir=tmp_path / "var", database_url=gk_postgres_url, policies_dir=gk_policies()
    )
    app = Gatekeeper(settings)
    app.start()
    recorder = Recorder()
    app.pm.register(recorder)
    app.announce(CID)  # version 1, sent at once
    assert recorder.calls == [("changed", (CID, 1, None, "pending"))]
    with pytest.MonkeyPatch.context() as patch:
        crash_before_sending(patch)
        app.ingest([smoke(app, "FAILED", 1)], BOT)  # one entry: the failed decision
    # a dispatcher in the middle of sending: it holds the row lock
    holder = app.store.engine.connect()
    holding = holder.begin()
    from gatekeeper.store import Tx

    assert Tx(holder).claim_outbox() is not None
    try:
        assert app.dispatcher.run_once() == 0, "another dispatcher holds it"
    finally:
        holding.rollback()  # it died before committing
        holder.close()
    assert app.dispatcher.run_once() == 1
    assert recorder.calls[1:] == [("changed", (CID, 2, "pending", "failed"))]
    app.store.dispose()


def test_recorded_results_are_decided_once_per_burst_by_the_dispatcher(app: Gatekeeper) -> None:
    recorder = Recorder()
    app.pm.register(recorder)
    for n in range(5):
        stored = app.record_results([smoke(app, "PASSED" if n % 2 else "FAILED", n)], BOT)
        assert len(stored) == 1
    assert app.record_results([smoke(app, "FAILED", 4)], BOT) == []  # known: no entry
    announced = app.history(CID)
    assert [v["cause"] for v in announced] == [{"announced": True}]
    assert recorder.calls == []  # nobody decided yet
    assert [row["kind"] for row in pending(app)] == ["redecide"] * 5

    assert app.dispatcher.run_once() >= 1
    first, version = app.history(CID)
    assert first == announced[0]
    assert version["verdict"] == "failed"  # the latest result, r4, failed
    assert version["cause"]["count"] == 5 and version["cause"]["reporter"] == "rdo-bot"
    assert len(version["cause"]["results"]) == 5
    assert recorder.calls == [("changed", (CID, 2, "pending", "failed"))]
    assert pending(app) == []


def test_recorded_results_of_an_unknown_compose_are_refused(app: Gatekeeper) -> None:
    from gatekeeper.errors import NotFound

    other = Result(
        compose="CentOS-Stream-9-20261130.0", testcase="rdo.smoke",
        outcome=Outcome.parse("PASSED"), submit_time=app.clock(),
    )  # fmt: skip
    with pytest.raises(NotFound):
        app.record_results([other], BOT)
    assert pending(app) == []


def test_a_forge_event_is_accepted_once_and_handled_from_the_outbox(app: Gatekeeper) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    class Forge:
        @hookimpl
        def gatekeeper_forge_event(self, app: Any, forge: str, event: Any) -> None:
            seen.append((forge, event))

    app.pm.register(Forge())
    event = {"object_kind": "note", "object_attributes": {"id": 7}}
    assert app.accept_forge_event("gitlab", "delivery-1", event) is True
    assert app.accept_forge_event("gitlab", "delivery-1", event) is False  # a replay
    assert app.accept_forge_event("other", "delivery-1", event) is True  # keys are per forge
    assert seen == []  # answered at once, handled later
    assert app.dispatcher.run_once() == 2
    assert seen == [("gitlab", event), ("other", event)]
    assert pending(app) == []


def test_a_failing_forge_event_handler_is_retried(app: Gatekeeper) -> None:
    class Down:
        @hookimpl
        def gatekeeper_forge_event(self, **_: Any) -> None:
            raise ConnectionError("GitLab is down")

    app.pm.register(Down())
    app.accept_forge_event("gitlab", "d2", {"object_kind": "note"})
    app.dispatcher.run_once()
    [row] = pending(app)
    assert (row["attempts"], row["last_error"]) == (1, "ConnectionError: GitLab is down")


def _wait_for(found: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class ThreadRecorder(Recorder):
    """Records which thread each hook call ran in."""

    def _record(self, what: str, value: Any) -> None:
        super()._record(what, (threading.current_thread().name, value))


def test_with_the_loop_running_a_request_thread_only_commits_and_wakes_it(
    app: Gatekeeper,
) -> None:
    recorder = ThreadRecorder(delay=0.5)  # a slow forge or bus
    app.pm.register(recorder)
    app.dispatcher.start(interval=30.0)  # only a wake makes it look before 30 s
    try:
        started = time.monotonic()
        app.ingest([smoke(app, "PASSED", 1)], BOT)
        answered = time.monotonic() - started
        _wait_for(lambda: len(recorder.calls) == 2)
    finally:
        app.dispatcher.stop()
    assert answered < 0.5, "the upload waited for a hook"
    assert [(what, thread) for what, (thread, _) in recorder.calls] == [
        ("changed", "gatekeeper-dispatcher"),
        ("promote", "gatekeeper-dispatcher"),
    ]


def test_the_loop_sends_a_decisions_hook_calls_as_it_makes_it(app: Gatekeeper) -> None:
    recorder = ThreadRecorder()
    app.pm.register(recorder)
    app.dispatcher.start(interval=30.0)
    try:
        app.record_results([smoke(app, "PASSED", 1)], BOT)
        app.dispatcher.wake()
        _wait_for(lambda: len(recorder.calls) == 2)
    finally:
        app.dispatcher.stop()
    assert [what for what, _ in recorder.calls] == ["changed", "promote"]
    assert pending(app) == []


# -- dead letters ----------------------------------------------------------------------------

RDO_STREAM_10_ONLY = RDO + 'applies_to:\n  products: ["CentOS-Stream-10"]\n'


def make_due(app: Gatekeeper) -> None:
    """Every backoff and lease is over."""
    with app.store.transaction() as tx:
        tx._conn.execute(sa.update(t.outbox).values(not_before=None))


def states(app: Gatekeeper) -> list[tuple[str, str, int]]:
    return [(row["kind"], row["state"], row["attempts"]) for row in app.outbox_entries().items]


def test_a_redecide_no_policy_can_answer_goes_dead_at_once_and_is_not_claimed_again(
    app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    gk_policies(rdo=RDO_STREAM_10_ONLY)  # rdo still owns rdo.*, but gates Stream 10 only
    app.reload_policies()
    app.record_results([smoke(app, "PASSED", 1)], BOT)
    assert app.dispatcher.run_once() == 1  # NoPolicyApplies

    [row] = pending(app)
    assert row["dead_at"] is not None
    assert row["last_error"].startswith("NoPolicyApplies: ")
    assert states(app) == [("redecide", "dead", 1)]
    for _ in range(3):
        make_due(app)
        assert app.dispatcher.run_once() == 0, "a dead entry is never claimed again"
    assert states(app) == [("redecide", "dead", 1)]
    assert app.outbox_counts() == {"pending": 0, "dead": 1}
    assert [v["verdict"] for v in app.history(CID)] == ["pending"]  # nothing recorded

    # the cause is fixed (a policy gates Stream 9 again): bring it back, and it is sent
    gk_policies(rdo=RDO)
    app.reload_policies()
    [retried] = app.retry_outbox([row["id"]])
    assert (retried["id"], retried["state"]) == (row["id"], "delivered")
    assert [v["verdict"] for v in app.history(CID)] == ["pending", "passed"]  # v1: announced
    assert app.outbox_counts() == {"pending": 0, "dead": 0}


def test_a_hooks_user_error_goes_dead_at_once(app: Gatekeeper) -> None:
    from gatekeeper.errors import ConfigError

    class Misconfigured:
        @hookimpl
        def gatekeeper_forge_event(self, **_: Any) -> None:
            raise ConfigError("'soon' is not a duration", key="forge.interval")

    app.pm.register(Misconfigured())
    app.accept_forge_event("gitlab", "d1", {"object_kind": "note"})
    app.dispatcher.run_once()
    [row] = pending(app)
    assert row["last_error"] == "ConfigError: forge.interval: 'soon' is not a duration"
    assert states(app) == [("gatekeeper_forge_event", "dead", 1)]


def test_an_unavailable_part_is_retried_not_given_up(app: Gatekeeper) -> None:
    from gatekeeper.errors import FetchError, StoreUnavailable, Unavailable

    errors: list[Exception] = [
        Unavailable("GitLab answered 503"),
        StoreUnavailable("store unavailable: database is locked"),
        FetchError("https://composes/ answered HTTP 502", status=502),
    ]

    class Down:
        @hookimpl
        def gatekeeper_forge_event(self, **_: Any) -> None:
            raise errors.pop(0)

    app.pm.register(Down())
    app.accept_forge_event("gitlab", "d1", {"object_kind": "note"})
    for _ in range(3):
        make_due(app)
        assert app.dispatcher.run_once() == 1
    assert errors == []
    assert states(app) == [("gatekeeper_forge_event", "pending", 3)]


def test_an_entry_failing_for_any_other_reason_goes_dead_after_the_last_attempt(
    app: Gatekeeper,
) -> None:
    from gatekeeper.outbox.dispatcher import MAX_ATTEMPTS

    class Broken:
        @hookimpl
        def gatekeeper_forge_event(self, **_: Any) -> None:
            raise ConnectionError("GitLab is down")

    app.pm.register(Broken())
    app.accept_forge_event("gitlab", "d1", {"object_kind": "note"})
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(app)
        assert app.dispatcher.run_once() == 1
    [row] = pending(app)
    assert (row["attempts"], row["dead_at"]) == (MAX_ATTEMPTS - 1, None)
    assert row["not_before"] - utcnow() <= timedelta(minutes=10, seconds=5)  # the backoff cap

    make_due(app)
    assert app.dispatcher.run_once() == 1  # the last attempt
    assert states(app) == [("gatekeeper_forge_event", "dead", MAX_ATTEMPTS)]
    make_due(app)
    assert app.dispatcher.run_once() == 0
