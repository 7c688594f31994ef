"""Which topics the consumer takes and as whom: the queue bindings, the topic prefixes
(derived from the bindings unless set), and the identities with their groups."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fedora_messaging import config
from fedora_messaging.exceptions import Drop
from fedora_messaging.message import Message
from gatekeeper_messaging.consumer import Consumer
from gatekeeper_messaging.routing import Routes, routing_keys
from gatekeeper_messaging.settings import ConsumerSettings
from messaging_helpers import POLICY, Bus, Consumers, consumer_conf
from messaging_samples import COMPOSE, ci_body, resultsdb_body
from test_messaging_bus import Setup, wait_for

from gatekeeper.errors import ConfigError
from gatekeeper.service import Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

README = Path(__file__).resolve().parents[1] / "README.md"
FEDORA = "org.fedoraproject.prod"
CI = "ci.productmd-compose.test"
RDO_BY_GROUP = """\
team: rdo
owns: ["rdo.*"]
reporters: {groups: [CentOS/Integration/rdo]}
applies_to: {products: ["CentOS-Stream-*"]}
gates: []
"""


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(t_functional=POLICY, rdo=RDO_BY_GROUP)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(COMPOSE)
    return gk_app


@pytest.fixture
def bindings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``bindings(key, ...)``: fedora-messaging's ``bindings`` setting, as ``fedora-messaging
    consume`` leaves it for the callback it starts."""

    def bind(*keys: str) -> None:
        binding = {"queue": "gatekeeper", "exchange": "amq.topic", "routing_keys": list(keys)}
        monkeypatch.setitem(config.conf, "bindings", [binding])

    return bind


def start(app: Gatekeeper, **section: Any) -> Consumer:
    """A consumer of ``[consumer_config]`` ``section`` (no dispatcher: nothing to stop)."""
    return Consumer(section, app=app, dispatch=False)


def test_messaging_prefixes_are_derived_from_the_bindings_routing_keys(
    app: Gatekeeper, bindings: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    bindings(f"{FEDORA}.{CI}.#")
    consumer = start(app, identities={f"{FEDORA}.{CI}.*": "t-functional-bot"})
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        consumer(Message(body=ci_body(), topic=f"{FEDORA}.{CI}.complete"))
    assert [r.testcase for r in app.results(COMPOSE)] == ["t_functional.tier0.functional"]
    assert "outcome=stored" in caplog.text


def test_messaging_a_binding_that_reaches_no_handler_is_a_start_up_warning(
    app: Gatekeeper, bindings: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    bindings(f"{FEDORA}.{CI}.#", "org.centos.prod.other.*", f"{FEDORA}.{CI}.bogus")
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        start(app)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2, warned
    assert "routing_key=org.centos.prod.other.*" in warned[0]
    assert f"routing_key={FEDORA}.{CI}.bogus" in warned[1]


def test_messaging_a_binding_outside_the_configured_prefixes_is_a_start_up_warning(
    app: Gatekeeper, bindings: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    bindings(f"{FEDORA}.{CI}.#", f"org.centos.prod.{CI}.#")
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        start(app, topic_prefixes=["org.centos.prod"])
    [warned] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"routing_key={FEDORA}.{CI}.#" in warned


def test_messaging_a_topic_no_handler_takes_is_a_warning_the_first_time(
    app: Gatekeeper, bindings: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    bindings("#")
    consumer = start(app, topic_prefixes=["org.centos.prod"])
    with caplog.at_level(logging.INFO, "gatekeeper_messaging"):
        for topic in (f"{FEDORA}.{CI}.complete", f"{FEDORA}.{CI}.complete", "org.x.y"):
            consumer(Message(body={}, topic=topic))
    levels = [(r.levelno, r.getMessage()) for r in caplog.records if "outcome=" in r.getMessage()]
    assert [level for level, _ in levels] == [logging.WARNING, logging.INFO, logging.WARNING]
    assert all("outcome=ignored" in line and "no handler" in line for _, line in levels)


def test_messaging_an_identitys_groups_come_from_the_configuration(
    app: Gatekeeper, bindings: Callable[..., None]
) -> None:
    """A policy naming reporters by group: the bus identity is in it by configuration, with
    no API token made for it."""
    topic = "org.centos.prod.resultsdb.result.new"
    bindings(topic)
    section: dict[str, Any] = {
        "topic_prefixes": ["org.centos.prod"],
        "identities": {topic: "rdo-ci"},
    }
    without = start(app, **section)
    with pytest.raises(Drop):  # Unauthorized: rdo-ci is in no group
        without(Message(body=resultsdb_body(9), topic=topic))
    consumer = start(app, **section, groups={"rdo-ci": ["CentOS/Integration/rdo"]})
    consumer(Message(body=resultsdb_body(9), topic=topic))
    [result] = app.results(COMPOSE)
    assert (result.testcase, result.reporter) == ("rdo.tempest.smoke", "rdo-ci")
    assert app.tokens() == []


def test_messaging_groups_of_an_identity_no_topic_acts_as_name_their_key() -> None:
    with pytest.raises(ConfigError) as err:
        ConsumerSettings.from_mapping(
            {"identities": {"a.*": "bot"}, "groups": {"bott": ["g"]}}, source="fm.toml"
        )
    assert str(err.value).startswith("fm.toml: consumer_config.groups.bott: 'bott' is no ")


def test_messaging_a_consumer_without_prefixes_takes_its_bindings_topics(
    tmp_path: Path, bus: Bus, consumers: Consumers, gk_config_for: Setup
) -> None:
    """``fedora-messaging consume`` with no ``topic_prefixes``: the queue's bindings say
    which prefix the topics carry; a topic no handler takes is a warning."""
    gk_config, app = gk_config_for(f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}")
    app.announce(COMPOSE)
    conf = consumer_conf(tmp_path, bus, bus.queue("consumer"), prefixes=False)
    proc = consumers.start(conf, gk_config)
    other = bus.publish("other.thing", {"x": 1})
    good = bus.publish(f"{CI}.complete", ci_body(COMPOSE))
    log = consumers.wait_log(proc, f"id={good} ")
    assert f"id={good} action=result-ci outcome=stored" in log
    [line] = [row for row in log.splitlines() if f"id={other} " in row]
    assert " WARNING " in line and "outcome=ignored" in line and "no handler" in line
    wait_for(lambda: app.results(COMPOSE), what="the result")


def test_messaging_readme_shows_the_three_settings_in_one_valid_file() -> None:
    """The README's one place for bindings, prefixes and identities is a file the consumer
    takes as it says: prefixes derived from the bindings, every binding reaching a handler."""
    text = README.read_text(encoding="utf-8")
    [block] = re.findall(r"```toml\n(# the fedora-messaging file of a consumer.*?)```", text, re.S)
    conf = tomllib.loads(block)
    settings = ConsumerSettings.from_mapping(conf["consumer_config"], source="README.md")
    keys = routing_keys(conf["bindings"])
    routes = Routes.of(settings.topic_prefixes, keys, settings.published_topic)
    assert routes.derived and routes.prefixes == ("org.centos.prod", FEDORA)
    assert all(routes.reaches(key) for key in keys)
    assert settings.identity(f"{FEDORA}.{CI}.complete") == "fedora-ci"
    assert settings.groups_of("fedora-ci") == ("CentOS/Integration/fedora-ci",)
