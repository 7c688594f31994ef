"""#17's done-when, on the real RabbitMQ and the GitLab fake: a rerun request from an MR
comment produces the ``gatekeeper.compose.rerun_requested.v1`` message (valid against its
registered schema) and a pending answer, which a new result resolves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fedora_messaging.message import get_class
from gatekeeper_gitlab.inbound.handle import poll_once
from gatekeeper_gitlab_fake import GitLabFake
from gatekeeper_messaging import plugin as messaging_plugin
from gitlab_helpers import InboundWorld, fake, make_inbound_world  # noqa: F401 - fake: a fixture
from messaging_helpers import Bus, consumer_conf

from gatekeeper.model import Answer

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

TOPIC = "gatekeeper.compose.rerun_requested.v1"


@pytest.fixture
def world(
    fake: GitLabFake,  # noqa: F811 - the fixture imported above
    bus: Bus,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[InboundWorld]:
    """The GitLab inbound world (a compose MR on the fake) publishing to the test's corner
    of the broker."""
    conf = consumer_conf(tmp_path, bus, bus.queue("unused"))  # publishing needs no queue
    messaging = {"enabled": True, "topic_prefix": bus.prefix, "publish_timeout": 10,
                 "fedora_messaging_config": str(conf)}  # fmt: skip
    found = make_inbound_world(
        fake, tmp_path, f"sqlite:///{tmp_path / 'gk.db'}", monkeypatch,
        plugins=(("messaging", messaging_plugin),), sections={"messaging": messaging},
    )  # fmt: skip
    yield found
    found.app.store.dispose()


def smoke(world: InboundWorld) -> Answer:
    decision = world.app.current_decision(world.compose)
    [answer] = [a for a in decision.answers if a.testcase == "tf.smoke"]
    return answer


def valid(message: dict[str, Any]) -> dict[str, Any]:
    """The message's body, checked against the schema its header names (as registered)."""
    cls = get_class(message["schema"])
    jsonschema.validate(message["body"], cls.body_schema)
    cls(body=message["body"], topic=message["topic"]).validate()
    body: dict[str, Any] = message["body"]
    return body


def test_messaging_a_rerun_from_an_mr_comment_is_on_the_bus_and_a_new_result_resolves_it(
    world: InboundWorld, bus: Bus
) -> None:
    reruns = bus.listen(TOPIC)
    updates = bus.listen("gatekeeper.decision.update.v1")
    world.note(world.alice, "gate: tf.smoke FAILED arch=x86_64")
    poll_once(world.app)
    assert smoke(world).type == "test-result-failed"
    note = world.note(world.carol, "/gatekeeper rerun tf.smoke x86_64 -- network flake")
    poll_once(world.app)
    world.dispatch()

    [message] = reruns.take(1)
    assert (message["topic"], message["schema"]) == (bus.topic(TOPIC), TOPIC)
    body = valid(message)
    [request] = world.app.triage.reruns(world.compose)
    assert body["compose"]["id"] == world.compose
    assert body["request"] == {
        "id": request.id, "testcase": "tf.smoke", "scenario": None, "arch": "x86_64",
        "variant": None, "username": "carol",
        "reason": f"network flake (GitLab note {note['id']}, line 1)", "automatic": False,
        "retry": None, "retries": None, "time": body["request"]["time"],
        "after": body["request"]["after"],
    }  # fmt: skip
    assert get_class(TOPIC)(body=body).summary == (
        f"gatekeeper: rerun of tf.smoke (x86_64) in {world.compose} requested by carol"
    )
    answer = smoke(world)
    assert (answer.type, answer.reason, answer.rerun_id) == (
        "test-result-pending", "rerun requested", request.id,
    )  # fmt: skip
    # the decision update telling the team says so too, in its (valid) answers
    told = [valid(m) for m in updates.take(10, timeout=5)]
    pending = [c["new"] for b in told for c in b["changed_answers"] if c["testcase"] == "tf.smoke"]
    assert {"type": "test-result-pending", "reason": "rerun requested",
            "rerun_id": request.id}.items() <= pending[-1].items()  # fmt: skip

    world.note(world.alice, "gate: tf.smoke PASSED arch=x86_64")  # the rerun's result, newer
    poll_once(world.app)
    world.dispatch()
    assert (smoke(world).type, smoke(world).reason) == ("test-result-passed", None)
    assert reruns.take(1, timeout=1) == []  # asked once
