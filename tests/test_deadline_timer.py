"""Time moves the gate: the deadline timer re-decides each open compose at its next deadline
instant, so an overdue gate blocks, an ``on_missing: ignore`` gate stops waiting and the
promotion fires then, with nobody reading the decision; with several processes on one
PostgreSQL database a deadline fires once."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatekeeper import hookimpl
from gatekeeper.config import Settings
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Gatekeeper
from gatekeeper.service.deadline_timer import DeadlineTimer
from gatekeeper.testing import Clock, stop_processes
from gatekeeper.timeutil import utcnow

SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
CID = "CentOS-Stream-9-20261124.0"


def policy(deadline: str, on_missing: str | None = None) -> str:
    more = f"\n    on_missing: {on_missing}" if on_missing else ""
    return (
        "team: tf\nowns: ['tf.*']\napplies_to: {products: ['CentOS-Stream-*']}\n"
        f"gates:\n  - testcase: tf.smoke\n    deadline: {deadline}{more}\n"
    )


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(step)
    return check()


# -- the timer itself, on plain callables ---------------------------------------------------


class Calls:
    """``act`` for a timer: records when it was called, answers from ``answers``."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.at: list[datetime] = []

    def __call__(self) -> list[str]:
        self.at.append(utcnow())
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def stopping() -> Iterator[list[DeadlineTimer]]:
    timers: list[DeadlineTimer] = []
    yield timers
    for timer in timers:
        timer.stop()


def test_the_timer_acts_just_after_the_next_deadline_instant(
    stopping: list[DeadlineTimer],
) -> None:
    instant = utcnow() + timedelta(seconds=0.4)
    act = Calls([], ["c1"])
    timer = DeadlineTimer(lambda: instant if len(act.at) < 2 else None, act)
    stopping.append(timer)
    timer.start(period=30)
    assert wait_until(lambda: len(act.at) == 2, 3)
    first, second = act.at
    assert first < instant  # at start: what passed while nobody ran
    assert instant < second < instant + timedelta(seconds=0.3)  # late only once past it
    time.sleep(0.2)
    assert len(act.at) == 2  # nothing due: asleep until the period ends


def test_wake_makes_the_timer_look_now(stopping: list[DeadlineTimer]) -> None:
    act = Calls()
    timer = DeadlineTimer(lambda: None, act)
    stopping.append(timer)
    timer.start(period=30)
    assert wait_until(lambda: len(act.at) == 1, 2)
    timer.wake()  # a compose was announced
    assert wait_until(lambda: len(act.at) == 2, 1)


def test_a_failing_round_is_logged_and_the_timer_goes_on(
    stopping: list[DeadlineTimer], caplog: pytest.LogCaptureFixture
) -> None:
    act = Calls(RuntimeError("database down"), ["c1"])
    timer = DeadlineTimer(lambda: None, act)
    stopping.append(timer)
    with caplog.at_level(logging.INFO, logger="gatekeeper.deadlines"):
        timer.start(period=0.2)  # the backoff never waits longer than the period
        assert wait_until(lambda: len(act.at) >= 2, 3)
        assert timer.running
    assert "deadline timer: round failed (1 in a row)" in caplog.text
    assert "RuntimeError: database down" in caplog.text
    assert "action=deadline compose=c1" in caplog.text


def test_stop_ends_the_timer_promptly_in_a_long_wait(stopping: list[DeadlineTimer]) -> None:
    act = Calls()
    timer = DeadlineTimer(lambda: None, act)
    stopping.append(timer)
    timer.start(period=600)
    assert wait_until(lambda: len(act.at) == 1, 2) and timer.running
    started = time.monotonic()
    timer.stop()
    assert time.monotonic() - started < 1 and not timer.running


def test_a_deadline_still_due_after_acting_is_looked_at_less_and_less_often() -> None:
    now = utcnow()
    acted_at = now - timedelta(milliseconds=50)
    instant: list[datetime] = [now - timedelta(seconds=1)]  # due before the round acted
    timer = DeadlineTimer(lambda: instant[0], lambda: [], clock=lambda: now)
    assert [timer.wait_for(30, acted_at) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    instant[0] = now + timedelta(seconds=5)
    assert timer.wait_for(30, acted_at) == pytest.approx(5.001)
    instant[0] = now - timedelta(seconds=1)
    assert timer.wait_for(30, acted_at) == 1  # counted afresh
    assert DeadlineTimer(lambda: None, lambda: []).wait_for(30) == 30


def test_a_deadline_that_came_due_during_a_round_is_acted_on_at_once() -> None:
    now = utcnow()
    acted_at = now - timedelta(milliseconds=50)
    came_due = now - timedelta(milliseconds=10)  # after the round looked, before it ended
    timer = DeadlineTimer(lambda: came_due, lambda: [], clock=lambda: now)
    assert [timer.wait_for(30, acted_at) for _ in range(3)] == [0, 0, 0]


def test_a_timer_needs_a_period() -> None:
    with pytest.raises(ValueError, match="more than 0"):
        DeadlineTimer(lambda: None, lambda: []).start(period=0)


# -- the check: time alone moves the gate --------------------------------------------


class Promotions:
    """A plugin noting when ``gatekeeper_promote_compose`` fires, and for which compose."""

    def __init__(self) -> None:
        self.seen = threading.Event()

    @hookimpl
    def gatekeeper_promote_compose(self, app: Any, compose: Any, decision: Any) -> None:
        self.at = utcnow()
        self.compose = compose.id
        self.seen.set()


Made = tuple[Gatekeeper, DeadlineTimer]


@pytest.fixture
def make_app(
    gk_settings: Settings, gk_policies: Callable[..., Path]
) -> Iterator[Callable[..., Made]]:
    """``make_app(policy_text, clock=utcnow)``: a started application gated by the team
    ``tf``'s policy, and its deadline timer (not started); on the real clock by default,
    so time passes for the application as for the timer. Both are stopped at the end."""
    made: list[Made] = []

    def make(text: str, clock: Callable[[], datetime] = utcnow) -> Made:
        gk_policies(tf=text)
        app = Gatekeeper(gk_settings, pm=make_plugin_manager(), clock=clock)
        app.start()
        made.append((app, app.deadline_timer))
        return made[-1]

    yield make
    for app, timer in made:
        timer.stop()
        app.store.dispose()


def test_an_ignored_gate_stops_waiting_at_its_deadline_and_promotes_unread(
    make_app: Callable[..., Made],
) -> None:
    app, timer = make_app(policy("2s", "ignore"))
    promotions = Promotions()
    app.pm.register(promotions)
    compose, _ = app.announce(CID)
    instant = compose.announced_at + timedelta(seconds=2)
    assert app.compose_info(CID)["verdict"] == "pending"
    timer.start()  # and nobody reads the decision from here on
    assert promotions.seen.wait(6), "no promotion within 4 s of the deadline"
    timer.stop()
    assert promotions.compose == CID
    assert instant < promotions.at < instant + timedelta(seconds=2)
    assert app.compose_info(CID)["state"] == "promoted"
    [first, second] = app.history(CID)
    assert (first["verdict"], second["verdict"]) == ("pending", "passed")
    [answer] = second["payload"]["satisfied_requirements"]
    assert answer["type"] == "test-result-overdue-ignored"


def test_a_blocking_gate_becomes_overdue_and_fails_at_its_deadline(
    make_app: Callable[..., Made],
) -> None:
    app, timer = make_app(policy("2s"))  # on_missing: block, the default
    compose, _ = app.announce(CID)
    instant = compose.announced_at + timedelta(seconds=2)

    def verdict() -> str | None:
        current = app.current_decision(CID)  # the stored one: reading decides nothing
        return None if current is None else str(current.verdict)

    assert verdict() == "pending"
    timer.start()
    assert wait_until(lambda: verdict() == "failed", 6), "not overdue within 4 s of the deadline"
    decided = app.current_decision(CID)
    assert decided is not None
    assert instant < decided.evaluated_at < instant + timedelta(seconds=2)
    assert [a.type for a in decided.answers] == ["test-result-overdue"]
    assert [h["version"] for h in app.history(CID)] == [1, 2]


def test_an_announcement_wakes_the_timer_of_its_application(
    make_app: Callable[..., Made],
) -> None:
    """Started before the compose exists, with a long period: the announcement wakes it,
    so it acts at the new compose's deadline rather than at the end of the period."""
    app, timer = make_app(policy("1s"))
    timer.start(period=600)
    time.sleep(0.2)  # its first round is done: nothing to wait for
    app.announce(CID)
    assert wait_until(lambda: len(app.history(CID)) == 2, 5)
    assert app.history(CID)[-1]["verdict"] == "failed"


# -- the bus consumer runs one too -----------------------------------------------------------


def test_the_consumer_starts_and_stops_its_deadline_timer(
    make_app: Callable[..., Made], gk_clock: Clock
) -> None:
    consumer_module = pytest.importorskip("gatekeeper_messaging.consumer")
    app, _ = make_app(policy("1h"), clock=gk_clock)
    app.announce(CID)
    gk_clock.now += timedelta(hours=2)  # its deadline passed while no timer ran
    config = {"dispatch_interval": 0}
    consumer = consumer_module.Consumer(config, app=app, bindings=[])
    try:
        assert consumer.dispatcher is None and consumer.timer is not None
        assert consumer.timer.running
        overdue = lambda: app.history(CID)[-1]["verdict"] == "failed"  # noqa: E731
        assert wait_until(overdue, 5), "the consumer's timer did not act at start"
    finally:
        consumer.stop()
    assert consumer.timer is None
    off = consumer_module.Consumer({**config, "deadline_timer": False}, app=app, bindings=[])
    assert off.timer is None
    off.stop()


# -- several processes on one PostgreSQL database --------------------------------------------


class Servers:
    """``gatekeeper serve`` processes on free loopback ports, each logging to a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path, self.env = tmp_path, env
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = self.tmp_path / f"serve-{len(self.procs)}.log"
        self.logs.append(log)
        self.procs.append(subprocess.Popen(
            [SCRIPT, "serve", "--port", str(port)], cwd=self.tmp_path, env=self.env,
            stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        ))  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        proc = self.procs[-1]

        def healthy() -> bool:
            assert proc.poll() is None, f"serve exited ({proc.returncode}):\n{log.read_text()}"
            try:
                return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        assert wait_until(healthy, 30, step=0.1), f"serve at {url} did not start"
        return url

    def texts(self) -> list[str]:
        return [log.read_text() for log in self.logs]

    def stop(self) -> None:
        stop_processes(self.procs)


@pytest.mark.postgres
def test_two_serve_processes_act_on_each_deadline_once(
    gk_postgres_url: str, gk_policies: Callable[..., Path], tmp_path: Path
) -> None:
    """Both processes' timers wake at the same instant for the same composes: each compose
    gets one new decision version and one promotion between them."""
    composes = [f"CentOS-Stream-9-20261124.{n}" for n in range(4)]
    policies = gk_policies(tf=policy("10s", "ignore"))
    settings = Settings(var_dir=tmp_path / "var", database_url=gk_postgres_url,
                        policies_dir=policies)  # fmt: skip
    app = Gatekeeper(settings, pm=make_plugin_manager(), clock=utcnow)
    app.start()  # migrated once, before the servers start
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env["GATEKEEPER_DATABASE_URL"] = gk_postgres_url
    env["GATEKEEPER_POLICIES_DIR"] = str(policies)
    env["GATEKEEPER_VAR_DIR"] = str(tmp_path / "var")
    servers = Servers(tmp_path, env)
    try:
        for cid in composes:
            app.announce(cid)
        # both timers sleep until the composes' instants, 10 s on (on a machine so slow
        # that they start later, both act at their start: a race all the same)
        servers.start()
        servers.start()

        def promoted() -> bool:
            return all(app.compose_info(c)["state"] == "promoted" for c in composes)

        assert wait_until(promoted, 20, step=0.2), servers.texts()
        time.sleep(2)  # a second version or promotion (from the other process) would come now
        entries = app.outbox_entries(states=("pending", "dead", "delivered"), limit=1000).items
        for cid in composes:
            history = app.history(cid)
            assert [(h["version"], h["verdict"]) for h in history] == [
                (1, "pending"), (2, "passed"),
            ], cid  # fmt: skip
            kinds = [e["kind"] for e in entries if e["compose"] == cid]
            assert kinds.count("gatekeeper_promote_compose") == 1, (cid, kinds)
        texts = servers.texts()
        acted = {c for text in texts for c in re.findall(r"action=deadline compose=(\S+)", text)}
        assert acted == set(composes), texts
        assert all(proc.poll() is None for proc in servers.procs), texts
    finally:
        servers.stop()
        app.store.dispose()
