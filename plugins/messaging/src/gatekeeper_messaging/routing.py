"""Which handler takes a topic, and which prefixes a topic may carry before it. No I/O.

A handled topic is a *kind* (``pungi.compose.status.change``,
``ci.productmd-compose.test.{queued,running,complete,error}``, ``resultsdb.result.new``, the
configured ``published_topic``) after a prefix (``org.centos.prod``), or a kind alone.

The prefixes are ``[consumer_config] topic_prefixes`` when it is set; else they are derived
from the routing keys of the queue bindings: a routing key is split where the rest of it can
match a kind, and the part before is a prefix
(``org.fedoraproject.prod.ci.productmd-compose.test.#`` -> ``org.fedoraproject.prod``). A
derived prefix keeps the AMQP wildcards of its routing key (``*``: one word, ``#``: zero or
more), so ``*.ci.productmd-compose.test.*`` -> ``*``. A routing key no split of which
matches a kind *reaches no handler*: everything it brings is acked and ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatekeeper_messaging import inbound

#: The topics (after a prefix) the consumer handles, but for the configured published topic.
CI_KINDS = tuple(f"{inbound.CI_PREFIX}{stage}" for stage in (*inbound.CI_STAGES, "complete"))
KINDS = (inbound.PUNGI, *CI_KINDS, inbound.RESULTSDB)


def matches(pattern: str, topic: str) -> bool:
    """Whether an AMQP topic pattern (words split on ``.``, ``*`` one word, ``#`` zero or
    more words) matches ``topic``, as a topic exchange matches a routing key."""
    words, parts = pattern.split("."), topic.split(".")
    # reach[j]: the pattern's words so far match the topic's first j words
    reach = [True] + [False] * len(parts)
    for word in words:
        if word == "#":
            for j in range(1, len(parts) + 1):
                reach[j] = reach[j] or reach[j - 1]
            continue
        reach = [False] + [
            reach[j] and (word == "*" or word == parts[j]) for j in range(len(parts))
        ]
    return reach[-1]


def _prefix_of(key: str, kinds: Sequence[str]) -> str | None:
    """The prefix a routing key implies: its words before the first split whose rest can
    match a kind (``""``: the key matches a kind itself), or ``None``."""
    words = key.split(".")
    for i in range(len(words)):
        rest = ".".join(words[i:])
        if any(matches(rest, kind) for kind in kinds):
            head = words[:i]
            if words[i] == "#" and head:  # ``a.#``: the '#' may take words of the prefix too
                head.append("#")
            return ".".join(head)
    return None


@dataclass(frozen=True, slots=True)
class Routes:
    """The kinds handled, the prefixes they may carry, and whether those were derived."""

    prefixes: tuple[str, ...]
    published_topic: str | None = None
    derived: bool = False

    @classmethod
    def of(
        cls,
        prefixes: Sequence[str] | None,
        routing_keys: Iterable[str],
        published_topic: str | None = None,
    ) -> Routes:
        """``prefixes`` as configured, or ``None``: derived from ``routing_keys``."""
        if prefixes is not None:
            return cls(tuple(p for p in prefixes if p), published_topic)
        kinds = _kinds(published_topic)
        found = (_prefix_of(key, kinds) for key in routing_keys)
        return cls(tuple(dict.fromkeys(p for p in found if p)), published_topic, derived=True)

    @property
    def kinds(self) -> tuple[str, ...]:
        return _kinds(self.published_topic)

    def kind(self, topic: str) -> str | None:
        """The kind a topic is (``None``: no handler takes it): the longest kind the topic
        ends with, before it a prefix or nothing."""
        for kind in sorted(self.kinds, key=len, reverse=True):
            if topic == kind:
                return kind
            if topic.endswith("." + kind):
                head = topic[: -len(kind) - 1]
                if any(matches(prefix, head) for prefix in self.prefixes):
                    return kind
        return None

    def reaches(self, key: str) -> bool:
        """Whether some topic a binding with this routing key brings has a handler."""
        kinds = self.kinds
        if self.derived:
            return _prefix_of(key, kinds) is not None
        return any(
            matches(key, f"{prefix}.{kind}" if prefix else kind)
            for prefix in ("", *self.prefixes)
            for kind in kinds
        )


def _kinds(published_topic: str | None) -> tuple[str, ...]:
    return (*KINDS, published_topic) if published_topic else KINDS


def routing_keys(bindings: Iterable[object]) -> list[str]:
    """The routing keys of fedora-messaging's ``bindings`` (a list of tables, each with
    ``routing_keys``), in order, each once."""
    keys: list[str] = []
    for binding in bindings:
        found = binding.get("routing_keys", ()) if isinstance(binding, Mapping) else ()
        keys += [str(key) for key in found or () if str(key) not in keys]
    return keys
