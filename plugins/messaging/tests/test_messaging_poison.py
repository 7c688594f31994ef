"""Poison messages: a body no library can read (JSON nested deeper than Python's recursion
limit, an unknown content encoding, a schema header that names nothing), or headers pika
cannot read (nested too deep, a timestamp no clock holds), is dropped with its reason logged,
and the consumer goes on with the next message. pika reads the headers and fedora-messaging
decodes and validates a message before either calls the consumer, so these are sent through
the real broker to a real ``fedora-messaging consume``."""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from fedora_messaging.exceptions import Drop, ValidationError
from fedora_messaging.message import Message
from gatekeeper_messaging.consumer import Consumer
from messaging_helpers import POLICY, RDO, Bus, Consumers, consumer_conf
from messaging_samples import COMPOSE, ci_body, pungi_body, resultsdb_body
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


class RawField(bytes):
    """A header value sent as these bytes: an AMQP field pika would not write itself."""


@pytest.fixture
def raw_fields(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pika (publishing, in this process) writes a :class:`RawField` as it is."""
    from pika import data

    encode = data.encode_value

    def encode_value(pieces: list[bytes], value: Any) -> int:
        if isinstance(value, RawField):
            pieces.append(bytes(value))
            return len(value)
        return int(encode(pieces, value))

    monkeypatch.setattr(data, "encode_value", encode_value)
    yield


def header_table(depth: int) -> RawField:
    """An AMQP field table holding a table ... ``depth`` deep (built without recursion)."""
    value = b"b\x01"  # a short-short int
    for _ in range(depth):
        entry = b"\x01x" + value
        value = b"F" + struct.pack(">I", len(entry)) + entry
    return RawField(value)


def header_array(depth: int) -> RawField:
    value = b"b\x01"
    for _ in range(depth):
        value = b"A" + struct.pack(">I", len(value)) + value
    return RawField(value)


GOOD = json.dumps(ci_body(COMPOSE)).encode()
#: kind -> what Bus.publish sends, and what the reason of its drop says
VARIANTS: dict[str, tuple[dict[str, Any], str]] = {
    "header-table-1200-deep": (
        {"headers": {"x-deep": header_table(DEPTH)}},
        "unreadable headers: a header nests more than 32 tables or arrays deep",
    ),
    "header-array-1200-deep": (
        {"headers": {"x-deep": header_array(DEPTH)}},
        "a header nests more than 32",
    ),
    "header-timestamp-no-clock-holds": (
        {"headers": {"x-at": RawField(b"T" + struct.pack(">Q", 2**64 - 1))}},
        "unreadable headers: OverflowError",
    ),
    "schema-header-an-integer": (
        {"headers": {"fedora_messaging_schema": 5}},
        "invalid message: 5 is not of type 'string'",
    ),
    "body-a-json-list": ({"raw": b"[1]"}, "invalid message: [1] is not of type 'object'"),
    "body-a-json-number": ({"raw": b"3"}, "invalid message: 3 is not of type 'object'"),
    "body-a-json-string": ({"raw": b'"x"'}, "is not of type 'object'"),
    "body-null": ({"raw": b"null"}, "malformed: artifact.type must be a non-empty string"),
    "body-not-utf-8": (
        {"raw": b'{"a": "\xff"}'},
        "invalid message: UnicodeDecodeError: 'utf-8' codec",
    ),
    "body-an-integer-of-5000-digits": ({"raw": b'{"a": ' + b"9" * 5000 + b"}"}, "4300"),
    "body-a-nul-byte": ({"raw": b'{"a": "\x00"}'}, "Invalid control character"),
    "body-gzip-that-is-not": ({"raw": GOOD, "encoding": "gzip"}, "LookupError"),
    "body-nan": ({"raw": GOOD.replace(b'"1.1.14"', b"NaN")}, "a number JSON cannot carry"),
    "body-a-lone-surrogate": (
        {"raw": GOOD.replace(b'"functional"', b'"\\ud800"')},
        "lone surrogate",
    ),
    "body-of-5-mb": (
        {"raw": json.dumps(ci_body(COMPOSE, run="r" * 5_000_000)).encode()},
        "ref_url: is 5,000,0",
    ),
    "a-ci-result-without-a-message-id": ({"raw": GOOD, "omit_id": True}, "no message_id"),
}


def test_messaging_after_every_poison_variant_the_same_consumer_takes_the_next_message(
    tmp_path: Path,
    bus: Bus,
    consumers: Consumers,
    gk_config_for: Setup,
    sqlite_url: str,
    raw_fields: None,
) -> None:
    """Each variant, then a good message, to one consumer process: every variant is dropped
    (not requeued) with one line saying why, and every good message is stored."""
    gk_config, app = gk_config_for(sqlite_url)
    app.announce(COMPOSE)
    queue = bus.queue("consumer")
    proc = consumers.start(consumer_conf(tmp_path, bus, queue), gk_config)
    sent = {}
    for kind, (poison, _) in VARIANTS.items():
        sent[kind] = bus.publish(f"{STAGE}.complete", None, **poison)
        bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, run=kind))
    last = bus.publish(f"{STAGE}.complete", ci_body(COMPOSE, run="last"))
    log = consumers.wait_log(proc, f"id={last} action=result-ci outcome=stored")
    assert proc.poll() is None
    for kind, (poison, why) in VARIANTS.items():
        shown = "-" if poison.get("omit_id") else sent[kind]
        lines = [row for row in log.splitlines() if f" id={shown} " in row and "outcome=" in row]
        assert len(lines) == 1, (kind, lines)
        assert "outcome=dropped" in lines[0] and why in lines[0], (kind, lines[0][:600])
    stored = {r.ref_url for r in app.results(COMPOSE)}
    assert stored == {f"https://ci.example.org/run/{k}" for k in (*VARIANTS, "last")}
    wait_for(lambda: bus.depth(queue) == 0, what="an empty queue (no variant requeued)")


def test_messaging_a_header_table_pika_cannot_read_is_skipped_whole(raw_fields: None) -> None:
    """The properties after the headers still read, and shallow headers read as before."""
    from gatekeeper_messaging import decoding
    from pika import spec

    decoding.guard()
    for value, expected in (
        (header_table(DEPTH), "a header nests more than 32 tables or arrays deep"),
        (RawField(b"T" + struct.pack(">Q", 2**64 - 1)), "OverflowError"),
    ):
        sent = spec.BasicProperties(headers={"x-bad": value, "a": "b"}, message_id="m-1")
        read = spec.BasicProperties()
        read.decode(b"".join(sent.encode()))
        assert isinstance(read.headers, decoding.UnreadableHeaders)
        assert expected in read.headers.reason and read.message_id == "m-1"
    sent = spec.BasicProperties(headers={"a": {"b": [1, {"c": "d"}]}}, message_id="m-2")
    read = spec.BasicProperties()
    read.decode(b"".join(sent.encode()))
    assert read.headers == {"a": {"b": [1, {"c": "d"}]}} and read.message_id == "m-2"


def test_messaging_a_body_value_too_deep_to_print_is_logged_not_raised(
    app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    """The log line shows what it can of a value no ``str()`` can print (an unfinished
    compose's ``compose_id`` that is a list in a list ...): raising there stopped the
    consumer, and the broker gave the message to the next one."""
    deep: Any = 1
    for _ in range(DEPTH):
        deep = [deep]
    body = {**pungi_body(COMPOSE, "/composes/x", status="STARTED"), "compose_id": deep}
    consumer = Consumer({"identities": {"*": "pungi"}}, app=app, dispatch=False)
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        consumer(Message(body=body, topic="pungi.compose.status.change"))
    [line] = [r.getMessage() for r in caplog.records if "outcome=" in r.getMessage()]
    assert "outcome=ignored" in line and "list that cannot be shown: RecursionError" in line
