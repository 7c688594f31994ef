"""Routing, without a broker: the prefix a routing key implies, the handler a topic
reaches, and AMQP topic matching."""

from __future__ import annotations

import pytest
from gatekeeper_messaging.routing import Routes, matches

pytestmark = pytest.mark.rabbitmq  # the plugin's tests run one at a time (a test restarts it)

FEDORA = "org.fedoraproject.prod"
CI = "ci.productmd-compose.test"


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (f"{FEDORA}.{CI}.#", FEDORA),
        (f"{FEDORA}.{CI}.complete", FEDORA),
        ("org.centos.prod.#", "org.centos.prod.#"),  # the '#' may take more prefix words
        (f"*.{CI}.*", "*"),
        ("org.#", "org.#"),
        ("org.centos.prod.other.#", "org.centos.prod.other.#"),  # org.centos.prod.other.<kind>
        (f"{CI}.complete", None),  # a kind itself: no prefix
        ("#", None),
    ],
)
def test_messaging_a_routing_key_implies_its_prefix(key: str, prefix: str | None) -> None:
    routes = Routes.of(None, [key])
    assert routes.prefixes == ((prefix,) if prefix else ())
    assert routes.reaches(key)


@pytest.mark.parametrize(
    "key", ["org.centos.prod.other.*", f"{FEDORA}.{CI}.bogus", f"{FEDORA}.{CI}", "resultsdb.#.x"]
)
def test_messaging_a_routing_key_no_topic_of_which_has_a_handler_reaches_none(key: str) -> None:
    routes = Routes.of(None, [key])
    assert routes.prefixes == () and not routes.reaches(key)


@pytest.mark.parametrize(
    ("key", "reaches"),
    [
        (f"org.centos.prod.{CI}.*", True),
        ("org.centos.prod.#", True),
        ("org.#", True),  # org.centos.prod.<kind> is among what it brings
        ("#", True),
        (f"{FEDORA}.{CI}.#", False),
        ("org.centos.prod.other.#", False),
    ],
)
def test_messaging_with_configured_prefixes_a_key_reaches_a_handler_through_them(
    key: str, reaches: bool
) -> None:
    assert Routes.of(["org.centos.prod"], []).reaches(key) is reaches


@pytest.mark.parametrize(
    ("keys", "topic", "kind"),
    [
        ([f"{FEDORA}.{CI}.#"], f"{FEDORA}.{CI}.error", f"{CI}.error"),
        ([f"{FEDORA}.{CI}.#"], f"{CI}.error", f"{CI}.error"),
        ([f"{FEDORA}.{CI}.#"], f"org.centos.prod.{CI}.error", None),
        ([f"*.{CI}.*"], f"x.{CI}.complete", f"{CI}.complete"),
        (["org.#"], "org.a.b.resultsdb.result.new", "resultsdb.result.new"),
        (["org.#"], "org.a.b.other", None),
        ([f"{CI}.#"], f"{CI}.complete", f"{CI}.complete"),
    ],
)
def test_messaging_a_topic_reaches_its_handler_after_a_derived_prefix(
    keys: list[str], topic: str, kind: str | None
) -> None:
    assert Routes.of(None, keys).kind(topic) == kind


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.c", False),
        ("a.#", "a", True),
        ("a.#.c", "a.x.y.c", True),
        ("#", "a.b", True),
        ("a.b", "a.b.c", False),
    ],
)
def test_messaging_routing_keys_match_as_a_topic_exchange_matches(
    pattern: str, topic: str, expected: bool
) -> None:
    assert matches(pattern, topic) is expected
