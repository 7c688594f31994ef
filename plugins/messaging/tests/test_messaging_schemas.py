"""The published messages: schemas, entry points, readable forms, and when they are sent."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from fedora_messaging.message import get_class
from gatekeeper_messaging.bodies import (
    changed_answers,
    compose_body,
    decision_update_body,
    merge_request_body,
    rerun_body,
)
from gatekeeper_messaging.routing import Routes
from gatekeeper_messaging.schemas import SCHEMAS
from gatekeeper_messaging.settings import ConsumerSettings, MessagingSettings

from gatekeeper.errors import ConfigError
from gatekeeper.model import Answer, Compose, Decision, RerunRequest

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

COMPOSE = Compose.from_id("CentOS-Stream-9-20261124.0")
AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def decision(*answers: Answer, verdict: str = "pending") -> Decision:
    return Decision(
        COMPOSE.id, verdict, "Of 2 required tests, 1 result missing", ("tf",), answers, AT
    )


def answer(kind: str, arch: str, satisfied: bool) -> Answer:
    return Answer(kind, "tf", "tf.smoke", True, satisfied, arch=arch)


PENDING = decision(
    answer("test-result-passed", "x86_64", True), answer("test-result-missing", "aarch64", False)
)
PASSED = decision(
    answer("test-result-passed", "x86_64", True),
    answer("test-result-passed", "aarch64", True),
    verdict="passed",
)
MR = {"number": 3, "branch": f"compose/{COMPOSE.id}", "state": "open", "title": "t"}
BODIES = {
    "gatekeeper.compose.proposed.v1": {
        "compose": compose_body(COMPOSE),
        "merge_request": merge_request_body(MR),
    },
    "gatekeeper.decision.update.v1": decision_update_body(COMPOSE, PENDING.to_json(), PASSED, 2),
    "gatekeeper.compose.promotable.v1": {
        "compose": compose_body(COMPOSE),
        "decision": PASSED.to_json(),
    },
    "gatekeeper.compose.promotion_revoked.v1": {
        "compose": compose_body(COMPOSE),
        "decision": PENDING.to_json(),
    },
    "gatekeeper.compose.published.v1": {
        "compose": compose_body(COMPOSE),
        "merge_request": merge_request_body(MR),
    },
    "gatekeeper.compose.rerun_requested.v1": rerun_body(
        COMPOSE,
        RerunRequest(
            id="3",
            compose=COMPOSE.id,
            testcase="tf.smoke",
            time=AT,
            after=AT,
            username="alice",
            arch="aarch64",
            reason="network flake",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_messaging_schema_entry_point_resolves_to_its_class(name: str) -> None:
    assert get_class(name) is SCHEMAS[name]
    assert SCHEMAS[name].topic == name and name.endswith(".v1")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_messaging_each_message_validates_and_reads(name: str) -> None:
    message = SCHEMAS[name](body=BODIES[name], topic=f"org.centos.prod.{name}")
    message.validate()
    assert COMPOSE.id in message.summary
    assert str(message).startswith(message.summary) and "Compose: " in str(message)
    assert message.app_name == "gatekeeper"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_messaging_a_body_without_its_compose_is_invalid(name: str) -> None:
    body = {k: v for k, v in BODIES[name].items() if k != "compose"}
    with pytest.raises(jsonschema.ValidationError):
        SCHEMAS[name](body=body).validate()


def test_messaging_decision_update_carries_both_verdicts_and_the_changed_answers() -> None:
    body = BODIES["gatekeeper.decision.update.v1"]
    assert (body["old_verdict"], body["new_verdict"], body["version"]) == ("pending", "passed", 2)
    [change] = body["changed_answers"]
    assert (change["arch"], change["old"]["type"], change["new"]["type"]) == (
        "aarch64",
        "test-result-missing",
        "test-result-passed",
    )
    message = SCHEMAS["gatekeeper.decision.update.v1"](body=body)
    assert message.summary == (
        f"gatekeeper decision v2 for {COMPOSE.id}: pending -> passed (1 answer changed)"
    )
    assert "tf.smoke aarch64: test-result-missing -> test-result-passed" in str(message)


def test_messaging_decision_update_is_not_sent_when_only_the_time_moved() -> None:
    later = replace(PENDING, evaluated_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert decision_update_body(COMPOSE, PENDING.to_json(), later, 3) is None


def test_messaging_first_decision_is_sent_with_every_answer_new() -> None:
    body = decision_update_body(COMPOSE, None, PENDING, 1)
    assert body is not None and body["old_verdict"] is None
    assert [c["old"] for c in body["changed_answers"]] == [None, None]


def test_messaging_a_requirement_that_is_gone_has_no_new_answer() -> None:
    only = decision(answer("test-result-passed", "x86_64", True))
    [change] = changed_answers(PENDING.to_json(), only.to_json())
    assert change["arch"] == "aarch64" and change["new"] is None


def test_messaging_settings_off_without_a_section_or_when_disabled() -> None:
    assert MessagingSettings.from_mapping({}) is None
    assert MessagingSettings.from_mapping({"enabled": False, "topic_prefix": "x"}) is None
    on = MessagingSettings.from_mapping({"enabled": True, "topic_prefix": "org.centos.prod"})
    assert on is not None
    assert on.topic("gatekeeper.compose.published.v1") == (
        "org.centos.prod.gatekeeper.compose.published.v1"
    )


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"enabled": "yes"}, "messaging.enabled"),
        ({"enabled": True, "topic_prefix": "a b"}, "messaging.topic_prefix"),
        ({"enabled": True, "publish_timeout": 0}, "messaging.publish_timeout"),
        ({"enabled": True, "topik_prefix": "x"}, "messaging.topik_prefix"),
    ],
)
def test_messaging_bad_settings_name_their_key(section: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        MessagingSettings.from_mapping(section, source="gatekeeper.toml")
    assert str(err.value).startswith(f"gatekeeper.toml: {key}: ")


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"testcase": "{namespace}.{nope}"}, "consumer_config.testcase"),
        ({"identities": {"a.*": 3}}, "consumer_config.identities.a.*"),
        ({"topic_prefixes": "org.centos.prod"}, "consumer_config.topic_prefixes"),
        ({"retry_delay": -1}, "consumer_config.retry_delay"),
        ({"identities": {"a.*": "bot"}, "groups": {"bot": "g"}}, "consumer_config.groups.bot"),
        ({"groups": []}, "consumer_config.groups"),
    ],
)
def test_messaging_bad_consumer_config_names_its_key(section: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        ConsumerSettings.from_mapping(section)
    assert f"{key}: " in str(err.value)


def test_messaging_consumer_topics_strip_the_longest_prefix_and_map_identities() -> None:
    settings = ConsumerSettings.from_mapping(
        {
            "topic_prefixes": ["org", "org.centos.prod"],
            "identities": {"org.centos.prod.ci.*": "bot", "*": "other"},
        }
    )
    routes = Routes.of(settings.topic_prefixes, [])
    assert routes.kind("org.centos.prod.ci.productmd-compose.test.complete") == (
        "ci.productmd-compose.test.complete"
    )
    assert settings.identity("org.centos.prod.ci.x") == "bot"
    assert settings.identity("org.fedoraproject.prod.ci.x") == "other"


# -- #17: rerun requests, and the answers' new keys -----------------------------------------
RERUN = "gatekeeper.compose.rerun_requested.v1"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_messaging_rerun_requested_carries_the_request_and_reads() -> None:
    body = BODIES[RERUN]
    assert body["request"] == {
        "id": "3", "testcase": "tf.smoke", "scenario": None, "arch": "aarch64", "variant": None,
        "time": "2026-11-24T08:00:00Z", "after": "2026-11-24T08:00:00Z", "username": "alice",
        "reason": "network flake", "automatic": False, "retry": None, "retries": None,
    }  # fmt: skip
    message = SCHEMAS[RERUN](body=body)
    assert message.summary == (
        f"gatekeeper: rerun of tf.smoke (aarch64) in {COMPOSE.id} requested by alice"
    )
    assert "Reason: network flake" in str(message)
    assert "Waiting for a result submitted after 2026-11-24T08:00:00Z" in str(message)


def test_messaging_an_automatic_retry_reads_as_one() -> None:
    request = RerunRequest(id="4", compose=COMPOSE.id, testcase="tf.install", time=AT,
                           after=AT - timedelta(minutes=1), username="gatekeeper",
                           arch="x86_64", variant="BaseOS", automatic=True, retry=1,
                           retries=2)  # fmt: skip
    message = SCHEMAS[RERUN](body=rerun_body(COMPOSE, request))
    message.validate()
    assert message.summary == (
        f"gatekeeper: retry 1 of 2 of tf.install (x86_64, BaseOS) in {COMPOSE.id} after an ERROR"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("testcase", None), ("automatic", "no"), ("retry", 0), ("after", None), ("id", 3)],
)
def test_messaging_a_malformed_rerun_request_is_invalid(key: str, value: object) -> None:
    body = {**BODIES[RERUN], "request": {**BODIES[RERUN]["request"], key: value}}
    with pytest.raises(jsonschema.ValidationError):
        SCHEMAS[RERUN](body=body).validate()


WAIVED = decision(
    Answer("test-result-failed-waived", "tf", "tf.smoke", True, True, arch="x86_64",
           result_id="9", ref_url="https://ci.example.org/9", bug="https://bugs.example.org/1",
           expires="2026-12-08T08:00:00Z", known_issue="2",
           reason="waiver 5 expired at 2026-11-24T07:00:00Z"),
    Answer("test-result-pending", "tf", "tf.smoke", True, False, arch="aarch64",
           reason="errored (retry 1 of 2)", rerun_id="4", retry=1, retries=2),
)  # fmt: skip


def test_messaging_a_decision_with_a_known_issue_and_a_retry_validates() -> None:
    body = decision_update_body(COMPOSE, PENDING.to_json(), WAIVED, 3)
    assert body is not None
    SCHEMAS["gatekeeper.decision.update.v1"](body=body).validate()
    revoked = {"compose": compose_body(COMPOSE), "decision": WAIVED.to_json()}
    SCHEMAS["gatekeeper.compose.promotion_revoked.v1"](body=revoked).validate()
    [waived, _] = body["decision"]["satisfied_requirements"] + body["decision"][
        "unsatisfied_requirements"]  # fmt: skip
    assert (waived["known_issue"], waived["bug"], waived["expires"]) == (
        "2", "https://bugs.example.org/1", "2026-12-08T08:00:00Z",
    )  # fmt: skip


def test_messaging_the_answers_new_keys_are_described_and_typed() -> None:
    from gatekeeper_messaging.fragments import ANSWER

    from gatekeeper.model.decisions import DETAIL_FIELDS

    for name in DETAIL_FIELDS:
        assert ANSWER["properties"][name]["description"], name
    body = decision_update_body(COMPOSE, None, WAIVED, 1)
    assert body is not None
    body["decision"]["unsatisfied_requirements"][0]["retry"] = "one"
    with pytest.raises(jsonschema.ValidationError):
        SCHEMAS["gatekeeper.decision.update.v1"](body=body).validate()


def test_messaging_the_readme_rerun_example_is_a_valid_body() -> None:
    text = README.read_text(encoding="utf-8").split("### Reruns", 1)[1]
    [example] = re.findall(r"```json\n(.*?)```", text, flags=re.S)[:1]
    body = json.loads(example)
    SCHEMAS[RERUN](body=body).validate()
    assert f"`{SCHEMAS[RERUN](body=body).summary}`" in " ".join(text.split())
