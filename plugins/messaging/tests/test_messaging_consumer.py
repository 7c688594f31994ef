"""The consumer's callback, one message at a time (in process, no broker): what each topic
does, who acts, and how failures end (ack, Drop, Nack)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from fedora_messaging.exceptions import Drop, Nack
from fedora_messaging.message import Message
from gatekeeper_messaging.consumer import Consumer
from messaging_helpers import POLICY, RDO
from messaging_samples import COMPOSE, ci_body, pungi_body, resultsdb_body

from gatekeeper.errors import Conflict, FetchError, NotFound, Unavailable
from gatekeeper.model import Outcome
from gatekeeper.service import Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

P = "org.centos.prod"
CI = f"{P}.ci.productmd-compose.test"
CONFIG = {
    "topic_prefixes": [P, "org.rogue", "org.fedoraproject.prod"],
    "published_topic": "compose.published",
    "retry_delay": 0,
    "identities": {
        f"{CI}.*": "t-functional-bot",
        f"{P}.resultsdb.result.new": "resultsdb",
        "org.rogue.ci.productmd-compose.test.*": "someone-else",
        f"{P}.compose.published": "releng",
        f"{P}.pungi.compose.status.change": "pungi",
    },
}


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(t_functional=POLICY, rdo=RDO)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(COMPOSE)
    return gk_app


@pytest.fixture
def consumer(app: Gatekeeper) -> Iterator[Consumer]:
    found = Consumer(CONFIG, app=app, dispatch=False)
    yield found
    found.stop()


def msg(topic: str, body: Any) -> Message:
    return Message(body=body, topic=topic)


def rows(app: Gatekeeper) -> list[Any]:
    return app.results(COMPOSE)


def test_messaging_ci_complete_stores_a_result_reported_by_the_topics_identity(
    consumer: Consumer, app: Gatekeeper
) -> None:
    message = msg(f"{CI}.complete", ci_body(arch="aarch64", result="failed"))
    consumer(message)
    [result] = rows(app)
    assert (result.testcase, result.outcome, result.arch, result.variant) == (
        "t_functional.tier0.functional",
        Outcome.FAILED,
        "aarch64",
        "BaseOS",
    )
    assert result.reporter == "t-functional-bot"  # the topic's identity, not the payload's
    assert result.ref_url == "https://ci.example.org/run/1"
    assert result.submit_time.isoformat() == "2026-11-24T08:00:00+00:00"
    # stored with a redecide entry; a dispatcher decides the burst (a running consumer's does)
    assert [v["version"] for v in app.history(COMPOSE)] == [1]
    app.dispatcher.run_once()
    assert [v["version"] for v in app.history(COMPOSE)] == [1, 2]
    assert app.decide(COMPOSE).verdict == "failed"


@pytest.mark.parametrize(
    ("stage", "result", "outcome"),
    [
        ("queued", None, Outcome.QUEUED),
        ("running", None, Outcome.RUNNING),
        ("error", None, Outcome.ERROR),
        ("complete", "needs_inspection", Outcome.NEEDS_INSPECTION),
        ("complete", "info", Outcome.INFO),
    ],
)
def test_messaging_ci_stages_map_to_outcomes(
    consumer: Consumer, app: Gatekeeper, stage: str, result: str | None, outcome: Outcome
) -> None:
    consumer(msg(f"{CI}.{stage}", ci_body(result=result)))
    assert [r.outcome for r in rows(app)] == [outcome]


def test_messaging_a_redelivered_message_is_stored_once(
    consumer: Consumer, app: Gatekeeper
) -> None:
    message = msg(f"{CI}.complete", ci_body())
    consumer(message)
    consumer(message)  # the broker delivers again (the ack was lost)
    assert len(rows(app)) == 1


@pytest.mark.parametrize("message_id", [None, "", " "])
def test_messaging_a_ci_message_without_a_message_id_is_dropped(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture, message_id: str | None
) -> None:
    """A CI result's id is ``msg:<message id>``: two id-less messages would share one, and
    the second would be a conflict (or a duplicate) of the first."""
    for arch in ("x86_64", "aarch64"):
        message = msg(f"{CI}.complete", ci_body(arch=arch))
        message.id = message_id
        with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
            consumer(message)
    lines = [r.getMessage() for r in caplog.records if "outcome=" in r.getMessage()]
    assert len(lines) == 2 and all("outcome=dropped" in line for line in lines)
    assert all("no message_id" in line for line in lines) and rows(app) == []


def _result_message(kind: str, compose: str) -> Message:
    if kind == "ci":
        return msg(f"{CI}.complete", ci_body(compose=compose))
    return msg(f"{P}.resultsdb.result.new", resultsdb_body(8, compose=compose))


@pytest.mark.parametrize("kind", ["ci", "resultsdb"])
def test_messaging_results_of_an_unknown_compose_are_dropped_naming_it(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """A reporter does not create composes: pungi's message or an operator announces them."""
    other = "CentOS-Stream-9-20261125.n.0"
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(_result_message(kind, other))
    with pytest.raises(NotFound):
        app.compose(other)
    [line] = [r.getMessage() for r in caplog.records if "outcome=" in r.getMessage()]
    assert "outcome=dropped" in line and f"unknown compose {other}" in line
    assert "reason=bug" not in caplog.text


@pytest.mark.parametrize("kind", ["ci", "resultsdb"])
@pytest.mark.parametrize(
    "compose", ["CentOS-Stream-9/../../../x-20261124.0", "../CentOS-Stream-9-20261124.0"]
)
def test_messaging_a_result_naming_no_compose_id_is_dropped_with_the_reason(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture, kind: str, compose: str
) -> None:
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(_result_message(kind, compose))
    [line] = [r.getMessage() for r in caplog.records if "outcome=" in r.getMessage()]
    assert "outcome=dropped" in line and "is not a compose id" in line
    assert [row["id"] for row in app.compose_rows()] == [COMPOSE]


def test_messaging_a_redelivery_with_another_body_is_a_logged_conflict(
    consumer: Consumer,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The core refuses a result id stored before with another body (``Conflict``): the
    message is dropped, not requeued (it would conflict again), and logged as a conflict."""

    def conflict(*args: Any, **kwargs: Any) -> None:
        raise Conflict("result id msg:m-1 was stored with another body; nothing was changed")

    monkeypatch.setattr(app, "record_results", conflict)
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(msg(f"{CI}.complete", ci_body(result="failed")))
    [record] = [r for r in caplog.records if "outcome=" in r.getMessage()]
    line = record.getMessage()
    assert record.levelno == logging.WARNING
    assert "outcome=conflict" in line and "stored with another body" in line


def test_messaging_resultsdb_result_is_keyed_by_its_resultsdb_id(
    consumer: Consumer, app: Gatekeeper
) -> None:
    consumer(msg(f"{P}.resultsdb.result.new", resultsdb_body(41)))
    consumer(msg(f"{P}.resultsdb.result.new", resultsdb_body(41)))  # another message, same result
    [result] = rows(app)
    assert (result.source, result.scenario, result.arch, result.reporter) == (
        "resultsdb",
        "packstack",
        "x86_64",
        "resultsdb",
    )


def test_messaging_resultsdb_testcase_no_team_owns_is_skipped(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        consumer(msg(f"{P}.resultsdb.result.new", resultsdb_body(7, testcase="dist.rpmlint")))
    assert rows(app) == []
    assert "outcome=skipped" in caplog.text


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        (f"{CI}.complete", {"artifact": {"type": "productmd-compose"}}, "artifact.id must be"),
        (f"{CI}.complete", ci_body(result="great"), "test.result must be one of"),
        (f"{CI}.complete", {**ci_body(), "generated_at": "yesterday"}, "generated_at"),
        (f"{CI}.complete", {**ci_body(), "generated_at": 10**20}, "generated_at: "),
        (f"{CI}.complete", {**ci_body(), "pipeline": "p-1"}, "pipeline must be an object"),
        (f"{CI}.complete", [1, 2], "the body must be a JSON object"),
        (f"{P}.resultsdb.result.new", {"id": 1, "data": {}}, "names no single compose"),
        (f"{P}.resultsdb.result.new", {**resultsdb_body(2), "outcome": None}, "has no outcome"),
        (f"{CI}.complete", ci_body(compose="not-a-compose"), "is not a compose id"),
    ],
)
def test_messaging_malformed_message_is_dropped_with_a_logged_reason(
    consumer: Consumer,
    app: Gatekeeper,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    body: Any,
    reason: str,
) -> None:
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"), pytest.raises(Drop):
        consumer(msg(topic, body))
    assert rows(app) == []
    [line] = [r.getMessage() for r in caplog.records if "outcome=dropped" in r.getMessage()]
    assert reason in line and f"topic={topic}" in line


def test_messaging_topic_without_an_identity_is_dropped(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Drop):
        consumer(msg("org.fedoraproject.prod.ci.productmd-compose.test.complete", ci_body()))
    assert rows(app) == []
    assert "no identity is mapped to topic" in caplog.text


def test_messaging_identity_that_may_not_report_the_testcase_is_dropped(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Drop):
        consumer(msg("org.rogue.ci.productmd-compose.test.complete", ci_body()))
    assert rows(app) == []
    assert "Unauthorized: someone-else is not a reporter" in caplog.text


def test_messaging_payload_claims_do_not_change_who_acts(
    consumer: Consumer, app: Gatekeeper
) -> None:
    body = {**ci_body(), "contact": {"name": "t-functional-bot"}, "reporter": "t-functional-bot"}
    with pytest.raises(Drop):
        consumer(msg("org.rogue.ci.productmd-compose.test.complete", body))
    assert rows(app) == []


@pytest.mark.parametrize(
    "error",
    [
        sqlalchemy.exc.OperationalError("INSERT", {}, Exception("server closed the connection")),
        sqlalchemy.exc.InterfaceError("SELECT", {}, Exception("connection already closed")),
    ],
)
def test_messaging_store_outage_returns_the_message_to_the_queue(
    consumer: Consumer,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(app.store.engine, "connect", down)  # every store access fails
    message = msg(f"{CI}.complete", ci_body())
    with pytest.raises(Nack):
        consumer(message)
    assert "outcome=requeued" in caplog.text and "store unavailable" in caplog.text
    monkeypatch.undo()
    consumer(message)  # redelivered once the store is back
    assert len(rows(app)) == 1


def test_messaging_a_forge_outage_returns_the_message_to_the_queue(
    consumer: Consumer,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def down(location: str) -> None:
        raise Unavailable("forge.gitlab: reading main: GitLab answered 503: Service Unavailable")

    monkeypatch.setattr(app, "import_compose", down)
    with pytest.raises(Nack):
        consumer(msg(f"{P}.pungi.compose.status.change", pungi_body(COMPOSE, "/composes/x")))
    assert "outcome=requeued" in caplog.text and "GitLab answered 503" in caplog.text


def test_messaging_a_bug_drops_the_message_and_the_consumer_goes_on(
    consumer: Consumer,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(app, "record_results", lambda *a, **k: 1 / 0)
    with pytest.raises(Drop):
        consumer(msg(f"{CI}.complete", ci_body()))
    assert "reason=bug" in caplog.text and "ZeroDivisionError" in caplog.text


def test_messaging_unfinished_pungi_status_and_unknown_topics_are_acked(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        consumer(msg(f"{P}.other.thing", {"x": 1}))
    assert "outcome=ignored" in caplog.text


def test_messaging_published_topic_of_an_unknown_compose_is_dropped(
    consumer: Consumer, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Drop):
        consumer(msg(f"{P}.compose.published", {"compose_id": "CentOS-Stream-9-20990101.0"}))
    assert "NotFound" in caplog.text


def test_messaging_published_topic_records_a_compose_never_promoted_as_forced(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    """The topic says the compose is on the mirrors already: recorded, and its MR says it
    went out without promotion, forced by the topic's identity."""
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        consumer(msg(f"{P}.compose.published", {"compose_id": COMPOSE}))
    assert "outcome=published" in caplog.text
    assert app.compose_info(COMPOSE)["state"] == "published"
    mr = app.merge_request(COMPOSE)
    assert mr is not None and mr["state"] == "merged"
    assert mr["description"].startswith("**Published without promotion (forced by releng).**")


def test_messaging_testcase_template_is_configurable(app: Gatekeeper) -> None:
    consumer = Consumer({**CONFIG, "testcase": "{namespace}.{category}"}, app=app, dispatch=False)
    consumer(msg(f"{CI}.complete", ci_body()))
    assert [r.testcase for r in rows(app)] == ["t_functional.functional"]


@pytest.mark.parametrize("status", [None, 429, 503])
def test_messaging_an_unreachable_compose_location_returns_the_message_to_the_queue(
    consumer: Consumer,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    status: int | None,
) -> None:
    def unreachable(location: str) -> None:
        raise FetchError(f"{location}/compose/metadata/composeinfo.json: refused", status)

    monkeypatch.setattr(app, "import_compose", unreachable)
    with pytest.raises(Nack):
        consumer(msg(f"{P}.pungi.compose.status.change", pungi_body(COMPOSE, "http://x/c")))
    assert "outcome=requeued" in caplog.text and "compose unreachable" in caplog.text


def test_messaging_a_compose_location_that_is_not_there_is_dropped(
    consumer: Consumer, app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(location: str) -> None:
        raise FetchError(f"{location}/compose/metadata/composeinfo.json: HTTP 404", 404)

    monkeypatch.setattr(app, "import_compose", gone)
    with pytest.raises(Drop):
        consumer(msg(f"{P}.pungi.compose.status.change", pungi_body(COMPOSE, "http://x/c")))


def test_messaging_a_nul_character_is_dropped_with_the_reason_on_every_store(
    consumer: Consumer, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    message = msg(f"{CI}.complete", ci_body(kind="tier\x000"))
    with pytest.raises(Drop):
        consumer(message)
    assert "outcome=dropped" in caplog.text and "holds a NUL character" in caplog.text
    assert "reason=bug" not in caplog.text and rows(app) == []
