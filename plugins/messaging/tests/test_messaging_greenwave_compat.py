"""Greenwave's ``greenwave.decision.update`` on the real RabbitMQ, with
``[messaging] greenwave_compat = true``: one message per decision context whose requirement
lists changed, ignoring ``result_id``, as Greenwave's listener decides
(release-engineering/greenwave ``greenwave/listeners/base.py`` and, for fedora-messaging,
``greenwave/consumers/consumer.py``: ``_is_decision_unchanged`` and
``_publish_decision_change``, whose body is the decision plus ``subject_type``,
``subject_identifier``, ``subject``, ``decision_context``, ``product_version``, ``previous``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from gatekeeper_messaging.schemas import GreenwaveDecisionUpdate
from gatekeeper_messaging.settings import MessagingSettings
from messaging_helpers import POLICY, Bus, Listener

from gatekeeper.errors import ConfigError
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.service.compat_greenwave import GreenwaveQuery

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

COMPOSE = "CentOS-Stream-9-20261124.0"
TOPIC = "greenwave.decision.update"
BOT = Actor(name="t-functional-bot")
RDO = Actor(name="resultsdb")
RDO_GATE = """\
team: rdo
owns: ["rdo.*"]
reporters: {users: [resultsdb]}
applies_to: {products: ["CentOS-Stream-*"]}
decision_context: rdo_gate
gates:
  - testcase: rdo.smoke
"""
KEYS = {
    "policies_satisfied", "summary", "applicable_policies", "satisfied_requirements",
    "unsatisfied_requirements", "subject_type", "subject_identifier", "subject",
    "decision_context", "product_version", "previous",
}  # fmt: skip
DECISION_KEYS = {
    "policies_satisfied", "summary", "applicable_policies", "satisfied_requirements",
    "unsatisfied_requirements",
}  # fmt: skip


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(t_functional=POLICY, rdo=RDO_GATE)


def enable(app: Gatekeeper, bus: Bus, *, greenwave: bool) -> None:
    messaging = {"enabled": True, "topic_prefix": bus.prefix, "greenwave_compat": greenwave}
    app.settings = replace(app.settings, sections={**app.settings.sections, "messaging": messaging})


def report(app: Gatekeeper, testcase: str, outcome: Outcome, *, id: str, arch: str | None) -> None:
    actor = RDO if testcase.startswith("rdo.") else BOT
    result = Result(COMPOSE, testcase, outcome, app.clock(), id=id, arch=arch,
                    ref_url=f"https://ci.example.org/{id}")  # fmt: skip
    app.ingest([result], actor)


def api_answer(app: Gatekeeper, context: str) -> dict[str, Any]:
    answer = app.greenwave_decision(GreenwaveQuery(COMPOSE, (context,), "centos-stream-9"))
    return {key: answer[key] for key in DECISION_KEYS}


def none_heard(listener: Listener) -> bool:
    """Nothing more arrives (the hooks ran before ``ingest`` returned, confirmed)."""
    return listener.take(1, timeout=1.5) == []


def test_messaging_greenwave_compat_off_publishes_no_greenwave_message(
    policies: Path, gk_app: Gatekeeper, bus: Bus
) -> None:
    enable(gk_app, bus, greenwave=False)
    greenwave, updates = bus.listen(TOPIC), bus.listen("gatekeeper.decision.update.v1")
    gk_app.announce(COMPOSE)
    report(gk_app, "t_functional.tier0.functional", Outcome.FAILED, id="1", arch="x86_64")
    assert len(updates.take(2)) == 2  # gatekeeper's own messages were sent
    assert none_heard(greenwave)


def test_messaging_greenwave_compat_one_message_per_changed_context(
    policies: Path, gk_app: Gatekeeper, bus: Bus
) -> None:
    enable(gk_app, bus, greenwave=True)
    greenwave = bus.listen(TOPIC)
    gk_app.announce(COMPOSE)  # decision v1: both contexts' first decision, previous null
    first = greenwave.take(2)
    assert [m["body"]["decision_context"] for m in first] == ["gatekeeper", "rdo_gate"]
    for message in first:
        body = message["body"]
        assert message["topic"] == bus.topic(TOPIC)
        assert message["schema"] == "gatekeeper.greenwave.decision.update"
        assert set(body) == KEYS and body["previous"] is None
        assert (body["subject_type"], body["subject_identifier"]) == ("compose", COMPOSE)
        assert body["subject"] == [{"productmd.compose.id": COMPOSE}]
        assert body["product_version"] == "centos-stream-9"
        assert not body["policies_satisfied"]
    assert first[1]["body"]["applicable_policies"] == ["rdo"]
    assert [r["testcase"] for r in first[1]["body"]["unsatisfied_requirements"]] == ["rdo.smoke"]

    report(gk_app, "t_functional.tier0.functional", Outcome.PASSED, id="2", arch="x86_64")
    [message] = greenwave.take(1)  # only the context whose requirements changed
    body = message["body"]
    assert body["decision_context"] == "gatekeeper"
    assert {key: body[key] for key in DECISION_KEYS} == api_answer(gk_app, "gatekeeper")
    assert body["previous"] == {key: first[0]["body"][key] for key in DECISION_KEYS}
    [passed] = body["satisfied_requirements"]
    assert (passed["type"], passed["system_architecture"]) == ("test-result-passed", "x86_64")
    assert isinstance(passed["result_id"], int)  # Greenwave's ids are numbers
    assert none_heard(greenwave)

    report(gk_app, "rdo.smoke", Outcome.PASSED, id="3", arch=None)
    [message] = greenwave.take(1)
    body = message["body"]
    assert body["decision_context"] == "rdo_gate" and body["policies_satisfied"]
    assert {key: body[key] for key in DECISION_KEYS} == api_answer(gk_app, "rdo_gate")
    assert body["previous"]["policies_satisfied"] is False
    assert none_heard(greenwave)


def test_messaging_greenwave_compat_a_new_result_id_alone_sends_none(
    policies: Path, gk_app: Gatekeeper, bus: Bus
) -> None:
    enable(gk_app, bus, greenwave=True)
    gk_app.announce(COMPOSE)
    report(gk_app, "t_functional.tier0.functional", Outcome.FAILED, id="4", arch="x86_64")
    greenwave, updates = bus.listen(TOPIC), bus.listen("gatekeeper.decision.update.v1")
    report(gk_app, "t_functional.tier0.functional", Outcome.FAILED, id="5", arch="x86_64")
    [update] = updates.take(1)  # gatekeeper's decision changed: the answer names result 5
    [change] = update["body"]["changed_answers"]
    assert change["old"]["result_id"] != change["new"]["result_id"]
    assert change["old"]["type"] == change["new"]["type"] == "test-result-failed"
    assert none_heard(greenwave)  # Greenwave's lists differ only by result_id (and ref_url)

    report(gk_app, "t_functional.tier0.functional", Outcome.ERROR, id="6", arch="x86_64")
    [message] = greenwave.take(1)  # failed -> errored: a change Greenwave tells
    body = message["body"]
    [errored] = [
        r for r in body["unsatisfied_requirements"] if r["system_architecture"] == "x86_64"
    ]
    [failed] = [
        r for r in body["previous"]["unsatisfied_requirements"]
        if r["system_architecture"] == "x86_64"
    ]  # fmt: skip
    assert (errored["type"], failed["type"]) == ("test-result-errored", "test-result-failed")
    assert failed["result_id"] == int(change["new"]["result_id"]) != errored["result_id"]


def test_messaging_greenwave_compat_is_a_boolean_off_by_default() -> None:
    assert MessagingSettings.from_mapping({"enabled": True}) == MessagingSettings()
    on = MessagingSettings.from_mapping({"enabled": True, "greenwave_compat": True})
    assert on is not None and on.greenwave_compat
    with pytest.raises(ConfigError, match="expected true or false") as caught:
        MessagingSettings.from_mapping({"greenwave_compat": "yes"}, source="gatekeeper.toml")
    assert "messaging.greenwave_compat" in str(caught.value)


def test_messaging_greenwave_update_schema_needs_previous_and_its_context() -> None:
    body = {
        "policies_satisfied": False, "summary": "1 of 1 required test results missing",
        "applicable_policies": ["rdo"], "satisfied_requirements": [],
        "unsatisfied_requirements": [{
            "type": "test-result-missing", "testcase": "rdo.smoke", "subject_type": "compose",
            "subject_identifier": COMPOSE, "result_id": None,
        }],
        "subject_type": "compose", "subject_identifier": COMPOSE,
        "subject": [{"productmd.compose.id": COMPOSE}], "decision_context": "rdo_gate",
        "product_version": "centos-stream-9", "previous": None,
    }  # fmt: skip
    message = GreenwaveDecisionUpdate(body=body, topic=f"org.centos.prod.{TOPIC}")
    message.validate()
    assert message.compose_id == COMPOSE and "rdo_gate" in message.summary
    for key in ("previous", "decision_context", "product_version"):
        with pytest.raises(jsonschema.ValidationError):
            GreenwaveDecisionUpdate(body={k: v for k, v in body.items() if k != key}).validate()
