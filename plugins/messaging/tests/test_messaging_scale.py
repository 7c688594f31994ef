"""At-least-once made exactly-once, on RabbitMQ and PostgreSQL: a consumer killed with
SIGKILL mid-stream loses and doubles nothing; two consumers on one queue agree with one."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fedora_messaging.message import Message
from gatekeeper_messaging.consumer import Consumer
from messaging_helpers import Bus, Consumers, consumer_conf
from messaging_samples import ci_body
from test_messaging_bus import wait_for

from gatekeeper.config import Settings
from gatekeeper.service import Gatekeeper, open_app

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]  # one broker
Setup = Callable[[str], tuple[Path, Gatekeeper]]
COMPOSE = "CentOS-Stream-9-20261124.0"
STAGE = "ci.productmd-compose.test"


def count(app: Gatekeeper) -> int:
    return len(app.results(COMPOSE))


def test_messaging_kill_9_mid_stream_loses_and_doubles_nothing(
    tmp_path: Path, bus: Bus, gk_postgres_url: str, consumers: Consumers, gk_config_for: Setup
) -> None:
    gk_config, app = gk_config_for(gk_postgres_url)
    app.announce(COMPOSE)
    queue = bus.queue("consumer")
    conf = consumer_conf(tmp_path, bus, queue)
    first = consumers.start(conf, gk_config)
    total = 2000
    ids = [  # results of an owned, ungated testcase each: no decision changes, only rows
        bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, category=f"c{i}", run=str(i)))
        for i in range(total)
    ]
    wait_for(lambda: count(app) >= 300, timeout=90, what="300 results")
    consumers.kill(first)
    killed_at = count(app)
    assert killed_at < total, "the consumer finished before it was killed"
    consumers.start(conf, gk_config)
    wait_for(lambda: count(app) >= total, timeout=120, what=f"{total} results")
    wait_for(lambda: bus.depth(queue) == 0, timeout=30, what="an empty queue")
    time.sleep(1)  # anything redelivered late would show now
    results = app.results(COMPOSE)
    assert len(results) == total
    assert sorted(r.data["message_id"] for r in results) == sorted(ids)


def _stream() -> list[tuple[str, dict[str, Any]]]:
    """Pending runs on both gated arches, extra ungated results, then both arches pass
    last (latest generated_at): the verdict goes pending -> passed once, in any order."""
    out = []
    for i in range(40):
        arch = ("x86_64", "aarch64")[i % 2]
        at = f"2026-11-24T07:{i:02d}:00Z"
        out.append(
            (
                f"{STAGE}.running",
                ci_body(COMPOSE, arch=arch, result=None, generated_at=at, run=str(i)),
            )
        )
        out.append((f"{STAGE}.complete", ci_body(COMPOSE, category=f"x{i}", generated_at=at)))
    for arch in ("x86_64", "aarch64"):
        out.append(
            (
                f"{STAGE}.complete",
                ci_body(COMPOSE, arch=arch, generated_at="2026-11-24T09:00:00Z", run=arch),
            )
        )
    return out


def _answers(decision: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (a["type"], a["testcase"], a["arch"], a.get("ref_url"))
        for a in decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    )


def test_messaging_two_consumers_agree_with_one_and_promote_once(
    tmp_path: Path, bus: Bus, gk_postgres_url: str, consumers: Consumers, gk_config_for: Setup
) -> None:
    stream = _stream()
    gk_config, app = gk_config_for(gk_postgres_url)  # writes the policies too
    # one consumer: the same messages through the callback, in order, on its own store
    alone = open_app(
        Settings(
            var_dir=tmp_path / "alone",
            policies_dir=tmp_path / "policies",
            database_url=f"sqlite:///{tmp_path / 'alone.db'}",
        )
    )
    alone.announce(COMPOSE)
    one = Consumer(
        {"topic_prefixes": [bus.prefix], "identities": {"*": "t-functional-bot"}},
        app=alone,
        dispatch=False,
    )
    for suffix, body in stream:
        one(Message(body=body, topic=bus.topic(suffix)))
    while alone.dispatcher.run_once():  # its redecide entries, as a dispatching consumer would
        pass
    expected = alone.decide(COMPOSE).to_json()
    alone.store.dispose()
    assert expected["verdict"] == "passed"

    # two consumers on one queue, PostgreSQL
    app.announce(COMPOSE)
    promotable = bus.listen("gatekeeper.compose.promotable.v1")
    revoked = bus.listen("gatekeeper.compose.promotion_revoked.v1")
    conf = consumer_conf(tmp_path, bus, bus.queue("shared"))
    procs = [consumers.start(conf, gk_config) for _ in range(2)]
    for suffix, body in stream:
        bus.publish(suffix, body)
    wait_for(lambda: count(app) >= len(stream), timeout=90, what="every result")
    [promotion] = promotable.take(1)
    time.sleep(2)  # a second promotion (from the other consumer or a retry) would come now
    assert promotable.take(1, timeout=1) == [] and revoked.take(1, timeout=1) == []
    assert count(app) == len(stream)
    got = app.decide(COMPOSE).to_json()
    assert (got["verdict"], got["summary"]) == (expected["verdict"], expected["summary"])
    assert _answers(got) == _answers(expected)
    assert promotion["body"]["decision"]["verdict"] == "passed"
    handled = [consumers.log_of(p).count("action=result-ci outcome=stored") for p in procs]
    assert sum(handled) == len(stream) and all(handled), handled  # both did their share
