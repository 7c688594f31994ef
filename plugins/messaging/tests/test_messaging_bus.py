"""The consumer as it runs (``fedora-messaging consume``) on the real RabbitMQ: a pungi
message opens a merge request, CI messages change the decision and the test hears it."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from messaging_helpers import Bus, Consumers, consumer_conf
from messaging_samples import ci_body, pungi_body

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import unavailable
from gatekeeper.testing.composes import synthetic_builds, write_compose

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

Setup = Callable[[str], tuple[Path, Gatekeeper]]


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"no {what} after {timeout}s")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"


def test_messaging_pungi_message_opens_a_merge_request(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup, sqlite_url: str
) -> None:
    gk_config, app = gk_config_for(sqlite_url)
    compose_id = write_compose(
        tmp_path / "composes" / "c",
        date="20261124",
        compose_type="production",
        builds=synthetic_builds(12, seed=4),
    )
    proposed = bus.listen("gatekeeper.compose.proposed.v1")
    queue = bus.queue("consumer")
    consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    location = str(tmp_path / "composes" / "c" / "compose")
    bus.publish("pungi.compose.status.change", pungi_body(compose_id, location, "STARTED"))
    bus.publish("pungi.compose.status.change", pungi_body(compose_id, location))

    def mr() -> dict[str, Any] | None:
        with app.store.transaction() as tx:
            return tx.merge_request_for(compose_id)

    found = wait_for(mr, what="merge request")
    assert (found["state"], found["branch"]) == ("open", f"compose/{compose_id}")
    [message] = proposed.take(1)
    assert message["topic"] == bus.topic("gatekeeper.compose.proposed.v1")
    assert message["schema"] == "gatekeeper.compose.proposed.v1"
    assert message["body"]["compose"]["id"] == compose_id
    assert message["body"]["merge_request"]["number"] == found["number"]


def test_messaging_a_pungi_message_with_a_file_url_imports_from_the_consumers_disk(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup, sqlite_url: str
) -> None:
    """``location`` may be a ``file://`` URL (percent-encoded), read as a path is: from the
    consumer's disk, for the identity of pungi's topic (the broker authenticates who
    publishes on it)."""
    gk_config, app = gk_config_for(sqlite_url)
    top = tmp_path / "composes" / "a compose"
    compose_id = write_compose(top, date="20261124", builds=synthetic_builds(3, seed=2))
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    location = (top / "compose").as_uri()
    assert "%20" in location
    sent = bus.publish("pungi.compose.status.change", pungi_body(compose_id, location))
    log = consumers.wait_log(proc, f"id={sent} action=import outcome=")
    assert f"id={sent} action=import outcome=proposed identity=pungi" in log
    assert [row["id"] for row in app.compose_rows()] == [compose_id]


def test_messaging_ci_messages_produce_decision_updates_heard_on_the_bus(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup, sqlite_url: str
) -> None:
    gk_config, app = gk_config_for(sqlite_url)
    compose = "CentOS-Stream-9-20261124.0"
    updates = bus.listen("gatekeeper.decision.update.v1")
    app.announce(compose)  # decision v1: pending, every result missing
    promotable = bus.listen("gatekeeper.compose.promotable.v1")
    consumers.start(consumer_conf(tmp_path, bus, bus.queue("consumer")), gk_config)
    stage = "ci.productmd-compose.test"
    bus.publish(
        f"{stage}.running", ci_body(compose, result=None, generated_at="2026-11-24T07:00:00Z")
    )
    bus.publish(f"{stage}.complete", ci_body(compose, result="passed"))
    # the announcement's update, then the consumer decides once per burst: one update or two
    # for these two messages
    got = updates.take(1)
    while got and not _passed(got[-1]["body"]["decision"], "x86_64"):
        got += updates.take(1)
    assert [m["body"]["version"] for m in got] == list(range(1, len(got) + 1))
    assert {m["body"]["new_verdict"] for m in got} == {"pending"}

    bus.publish(f"{stage}.complete", ci_body(compose, arch="aarch64", result="passed"))
    [update] = updates.take(1)
    last = update["body"]
    assert (last["version"], last["old_verdict"], last["new_verdict"]) == (
        len(got) + 1, "pending", "passed",
    )  # fmt: skip
    [change] = last["changed_answers"]
    assert (change["arch"], change["old"]["type"], change["new"]["type"]) == (
        "aarch64",
        "test-result-missing",
        "test-result-passed",
    )
    [promotion] = promotable.take(1)
    assert promotion["body"]["decision"]["verdict"] == "passed"
    assert promotable.take(1, timeout=2) == []  # once


def test_messaging_malformed_messages_are_dropped_and_the_consumer_goes_on(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup, sqlite_url: str
) -> None:
    gk_config, app = gk_config_for(sqlite_url)
    compose = "CentOS-Stream-9-20261124.0"
    app.announce(compose)
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    stage = "ci.productmd-compose.test"
    bus.publish(f"{stage}.complete", None, raw=b"{not json")
    bad = bus.publish(f"{stage}.complete", {"artifact": {"type": "productmd-compose"}})
    rogue = bus.publish(
        "resultsdb.result.new",
        {"id": 3, "testcase": "t_functional.x", "outcome": "PASSED", "data": {}},
    )
    good = bus.publish(f"{stage}.complete", ci_body(compose))
    wait_for(lambda: app.results(compose), what="result")
    log = consumers.wait_log(proc, f"id={good}")
    assert proc.poll() is None
    assert f"id={bad} action=result-ci outcome=dropped" in log
    assert "artifact.id must be a non-empty string" in log
    assert f"id={rogue} action=result-resultsdb outcome=dropped" in log
    assert "did not pass validation" in log  # the bad JSON, dropped by fedora-messaging
    assert len(app.results(compose)) == 1
    assert bus.depth(queue) == 0


def test_messaging_consumer_survives_a_broker_restart_without_losing_messages(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup, sqlite_url: str
) -> None:
    """The broker stops with messages still queued and comes back: the durable queue kept
    them, the consumer reconnects, and every message (before and after) is stored once."""
    if shutil.which("rabbitmqctl") is None:
        unavailable("rabbitmqctl", "restarting the broker needs it")
    gk_config, app = gk_config_for(sqlite_url)
    compose = "CentOS-Stream-9-20261124.0"
    app.announce(compose)
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    stage = "ci.productmd-compose.test"
    for n in range(50):  # persistent messages; many still queued when the broker stops
        bus.publish(f"{stage}.complete", ci_body(compose, category=f"before{n}"))
    bus.connection.close()
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True)
    after = Bus()
    after.prefix = bus.prefix
    for n in range(50):
        after.publish(f"{stage}.complete", ci_body(compose, category=f"after{n}"))
    wait_for(lambda: len(app.results(compose)) >= 100, timeout=120, what="all 100 results")
    time.sleep(1)  # nothing more comes: no message was stored twice
    testcases = sorted(r.testcase for r in app.results(compose))
    assert len(testcases) == len(set(testcases)) == 100
    assert proc.poll() is None
    after.queues.extend(bus.queues)
    after.close()


def _passed(decision: dict[str, Any], arch: str) -> bool:
    return any(
        a["arch"] == arch and a["type"] == "test-result-passed"
        for a in decision["satisfied_requirements"]
    )
