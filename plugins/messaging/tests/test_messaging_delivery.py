"""What delivery guarantees, on the real broker: gatekeeper publishes at least once, a repeat
with the same message id (derived from the outbox entry) and the decision ``version`` to
order by; a redelivered message with another body is a conflict, not a second result."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from messaging_helpers import Bus, Consumers, consumer_conf
from messaging_samples import COMPOSE, ci_body
from test_messaging_bus import Setup, wait_for

from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

ROOT = Path(__file__).resolve().parents[3]
DOCS = {
    "plugins/messaging/README.md": ROOT / "plugins" / "messaging" / "README.md",
    "docs/deploy.md": ROOT / "docs" / "deploy.md",
}
STAGE = "ci.productmd-compose.test"


def _pending_again(app: Gatekeeper, entry: int) -> None:
    """The outbox entry as a crash leaves it between the broker's confirm and the commit
    that marks it delivered (``kill -9`` of ``serve``): pending, and due."""
    with app.store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE outbox SET delivered_at = NULL, not_before = NULL WHERE id = :id"),
            {"id": entry},
        )


def test_messaging_an_outbox_entry_sent_twice_carries_the_same_message_id(
    tmp_path: Path, bus: Bus, gk_config_for: Setup, gk_database_url: str
) -> None:
    _, app = gk_config_for(gk_database_url)
    fm_conf = consumer_conf(tmp_path, bus, bus.queue("unused"))
    messaging = {**app.settings.section("messaging"), "fedora_messaging_config": str(fm_conf)}
    app.settings = replace(app.settings, sections={**app.settings.sections, "messaging": messaging})
    updates = bus.listen("gatekeeper.decision.update.v1")
    app.announce(COMPOSE)  # decision v1, sent by the outbox
    passed = Result(COMPOSE, "t_functional.tier0.functional", Outcome.PASSED, app.clock(),
                    id="r-1", arch="x86_64")  # fmt: skip
    app.ingest([passed], Actor(name="t-functional-bot"))  # decision v2, sent by the outbox
    announced, first = updates.take(2)
    assert (announced["body"]["version"], first["body"]["version"]) == (1, 2)
    with app.store.engine.connect() as conn:
        query = "SELECT id FROM outbox WHERE kind = 'gatekeeper_decision_changed' ORDER BY id"
        [_, entry] = conn.execute(sa.text(query)).scalars()
    _pending_again(app, entry)
    assert app.dispatcher.deliver([entry]) == 1
    [second] = updates.take(1)
    assert second["id"] == first["id"] and second["topic"] == first["topic"]
    assert second["body"] == first["body"] and second["id"] != announced["id"]
    assert updates.take(1, timeout=1) == []


@pytest.mark.parametrize("name", sorted(DOCS))
def test_messaging_docs_promise_at_least_once_with_the_id_and_version_to_rely_on(
    name: str,
) -> None:
    """The guarantee as it is: at least once (a crash between the broker's confirm and the
    outbox commit sends again), never "exactly once"; a repeat has the same message id, and
    messages can come out of order, so readers order decision updates by ``version``."""
    text = " ".join(DOCS[name].read_text(encoding="utf-8").split()).lower()
    assert not re.search(r"exactly[ -]once", text), name
    for phrase in ("at least once", "same message id", "out of order", "`version`"):
        assert phrase in text, (name, phrase)


def test_messaging_a_redelivery_with_another_body_is_a_conflict_and_the_first_stands(
    tmp_path: Path, bus: Bus, gk_database_url: str, consumers: Consumers, gk_config_for: Setup
) -> None:
    gk_config, app = gk_config_for(gk_database_url)
    app.announce(COMPOSE)
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    first = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, result="passed"))
    consumers.wait_log(proc, f"id={first} action=result-ci outcome=stored")
    bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, result="failed"), message_id=first)
    after = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, category="other"))
    log = consumers.wait_log(proc, f"id={after} action=result-ci outcome=stored")
    lines: list[Any] = [row for row in log.splitlines() if f"id={first} action=" in row]
    assert len(lines) == 2 and "outcome=stored" in lines[0]
    assert " WARNING " in lines[1] and "outcome=conflict" in lines[1] and "reason=" in lines[1]
    results = {r.testcase: r.outcome for r in app.results(COMPOSE)}
    assert results["t_functional.tier0.functional"] == Outcome.PASSED  # the first stands
    assert len(results) == 2
    wait_for(lambda: bus.depth(queue) == 0, what="an empty queue (the conflict not requeued)")


def test_messaging_another_team_reusing_a_message_id_stores_its_own_and_shadows_nothing(
    tmp_path: Path, bus: Bus, gk_database_url: str, consumers: Consumers, gk_config_for: Setup
) -> None:
    """Team B's CI (another identity, on its own topic) sends a message with the id of one of
    team A's: its result is its own (result ids are unique per owning team), and with A's
    testcase it is refused; A's result stands, once."""
    gk_config, app = gk_config_for(gk_database_url)
    app.announce(COMPOSE)
    queue = bus.queue("consumer")
    identities = {  # first match wins: rdo's reporter sends on .running
        f"*.{STAGE}.running": "resultsdb",
        f"*.{STAGE}.*": "t-functional-bot",
    }
    conf = consumer_conf(tmp_path, bus, queue, identities=identities)
    proc = consumers.start(conf, gk_config)
    team_a = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, result="passed"))
    consumers.wait_log(proc, f"id={team_a} action=result-ci outcome=stored")
    rdo = ci_body(COMPOSE, namespace="rdo", kind="tempest", category="smoke", result=None)
    bus.publish(f"{STAGE}.running", rdo, message_id=team_a)
    log = consumers.wait_log(proc, 'detail="rdo.tempest.smoke RUNNING"')
    bus.publish(f"{STAGE}.running", ci_body(COMPOSE, result=None), message_id=team_a)
    after = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, category="other"))
    log = consumers.wait_log(proc, f"id={after} action=result-ci outcome=stored")
    lines = [row for row in log.splitlines() if f"id={team_a} action=" in row]
    assert len(lines) == 3, lines
    assert "outcome=stored identity=t-functional-bot" in lines[0]
    assert "outcome=stored identity=resultsdb" in lines[1]
    assert "outcome=dropped identity=resultsdb" in lines[2] and "is not a reporter" in lines[2]
    results = {(r.testcase, r.reporter): r.outcome for r in app.results(COMPOSE)}
    assert results == {
        ("t_functional.tier0.functional", "t-functional-bot"): Outcome.PASSED,
        ("rdo.tempest.smoke", "resultsdb"): Outcome.RUNNING,
        ("t_functional.tier0.other", "t-functional-bot"): Outcome.PASSED,
    }
