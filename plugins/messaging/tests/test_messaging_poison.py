"""Poison messages: a body no library can read (JSON nested deeper than Python's recursion
limit, an unknown content encoding, a schema header that names nothing) is dropped with its
reason logged, and the consumer goes on with the next message. fedora-messaging decodes and
validates a message before it calls the consumer, so these are sent through the real broker
to a real ``fedora-messaging consume``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pika
import pytest
from fedora_messaging.exceptions import Drop, ValidationError
from fedora_messaging.message import Message
from gatekeeper_messaging.consumer import Consumer
from messaging_helpers import POLICY, RDO, Bus, Consumers, consumer_conf
from messaging_samples import COMPOSE, ci_body, resultsdb_body
from test_messaging_bus import Setup, wait_for

from gatekeeper.service import Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

STAGE = "ci.productmd-compose.test"
DEPTH = 1200  # deeper than Python's recursion limit (1000)


def nested(depth: int) -> bytes:
    """``{"x": {"x": ... 1 ...}}``, ``depth`` objects deep."""
    return ('{"x":' * depth + "1" + "}" * depth).encode()


#: kind -> what Bus.publish sends, and the error that reading it raises
POISON: dict[str, tuple[dict[str, Any], str]] = {
    "json-nested-1200-deep": ({"raw": nested(DEPTH)}, "RecursionError"),
    "unknown-content-encoding": ({"raw": b"{}", "encoding": "x-no-such-codec"}, "LookupError"),
    "schema-header-a-list": (
        {"raw": b"{}", "headers": {"fedora_messaging_schema": ["a", "b"]}},
        "TypeError",
    ),
}


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(t_functional=POLICY, rdo=RDO)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(COMPOSE)
    return gk_app


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"


@pytest.mark.parametrize("kind", sorted(POISON))
def test_messaging_a_message_no_library_can_read_is_dropped_and_the_consumer_goes_on(
    tmp_path: Path,
    bus: Bus,
    consumers: Consumers,
    gk_config_for: Setup,
    sqlite_url: str,
    kind: str,
) -> None:
    gk_config, app = gk_config_for(sqlite_url)
    app.announce(COMPOSE)
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    sent, error = POISON[kind]
    poison = bus.publish(f"{STAGE}.complete", None, **sent)
    good = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE))
    log = consumers.wait_log(proc, f"id={good} action=result-ci outcome=stored")
    assert proc.poll() is None
    [line] = [row for row in log.splitlines() if f"id={poison} " in row and "outcome=" in row]
    assert "outcome=dropped" in line and "reason=" in line and error in line, line
    assert len(app.results(COMPOSE)) == 1
    wait_for(lambda: bus.depth(queue) == 0, what="an empty queue (the poison not requeued)")


def _properties(**headers: Any) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        message_id="m-1",
        headers={
            "fedora_messaging_schema": "base.message",
            "fedora_messaging_severity": 20,
            **headers,
        },
    )


def test_messaging_reading_a_message_turns_any_error_into_a_validation_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What fedora-messaging's read loop calls: the errors it does not expect become the one
    it drops a message for, with the reason logged."""
    from gatekeeper_messaging import decoding

    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(ValidationError):
        decoding.read_message("org.centos.prod.x", _properties(), nested(DEPTH))
    [line] = [r.getMessage() for r in caplog.records if "outcome=dropped" in r.getMessage()]
    assert "id=m-1" in line and "topic=org.centos.prod.x" in line and "RecursionError" in line


def test_messaging_the_consumer_guards_fedora_messagings_read_loop(app: Gatekeeper) -> None:
    from fedora_messaging.twisted import consumer as twisted_consumer
    from gatekeeper_messaging import decoding

    Consumer({}, app=app, dispatch=False, bindings=[])
    assert twisted_consumer.get_message is decoding.read_message


def test_messaging_a_body_too_deep_for_the_handler_is_dropped_with_a_reason(
    app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    """A body fedora-messaging could read that is still too deep for what is done with it
    (its ``data`` kept with the result): dropped with a reason, not as a bug."""
    deep: Any = 1
    for _ in range(DEPTH - 100):  # shallow enough for the JSON parser
        deep = {"x": deep}
    body = {**resultsdb_body(5), "data": {**resultsdb_body(5)["data"], "deep": [deep]}}
    consumer = Consumer({"identities": {"*": "resultsdb"}}, app=app, dispatch=False)
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(Message(body=body, topic="resultsdb.result.new"))
    [line] = [r.getMessage() for r in caplog.records if "outcome=" in r.getMessage()]
    assert "outcome=dropped" in line and "reason=" in line and "reason=bug" not in line
    assert app.results(COMPOSE) == []


def test_messaging_a_recursion_error_while_handling_is_dropped_as_nested_too_deeply(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def too_deep(*args: Any, **kwargs: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded while encoding a JSON object")

    monkeypatch.setattr(app, "record_results", too_deep)
    consumer = Consumer({"identities": {"*": "resultsdb"}}, app=app, dispatch=False)
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(Message(body=resultsdb_body(5), topic="resultsdb.result.new"))
    [record] = [r for r in caplog.records if "outcome=" in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "outcome=dropped" in record.getMessage()
    assert "the body is nested too deeply: RecursionError" in record.getMessage()
