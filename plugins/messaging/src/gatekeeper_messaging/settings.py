"""The plugin's two settings, each a typed class validated before first use.

``[messaging]`` in gatekeeper.toml: the publishing side (the hooks)::

    [messaging]
    enabled = true                        # default false: the hooks do nothing
    topic_prefix = "org.centos.prod"      # topics: <topic_prefix>.gatekeeper.<...>.v1
    fedora_messaging_config = "/etc/fedora-messaging/gatekeeper.toml"  # optional
    publish_timeout = 30                  # seconds to wait for the broker's confirm
    greenwave_compat = false              # also <topic_prefix>.greenwave.decision.update

``[consumer_config]`` of the fedora-messaging configuration: the consumer
(``fedora-messaging --conf FILE consume --callback gatekeeper_messaging.consumer:Consumer``)::

    [consumer_config]
    gatekeeper_config = "/etc/gatekeeper/gatekeeper.toml"  # optional: else found as usual
    topic_prefixes = ["org.centos.prod"]     # optional: else derived from the bindings
    published_topic = "compose.published"    # after a prefix; optional
    testcase = "{namespace}.{type}.{category}"
    retry_delay = 1.0                        # seconds before a Nack after a store error
    dispatch_interval = 1.0                  # the outbox dispatcher's period; 0: none
    deadline_timer = true                    # re-decide composes at their deadlines here
    [consumer_config.identities]             # topic glob -> the identity its messages act as
    "org.centos.prod.ci.productmd-compose.test.*" = "t-functional-bot"
    [consumer_config.groups]                 # identity -> its groups (policy reporters.groups)
    "t-functional-bot" = ["CentOS/Integration/t_functional"]

Every error names the file and the key (``gatekeeper.toml: messaging.enabled: ...``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError

SECTION = "messaging"
CONSUMER_SECTION = "consumer_config"
TESTCASE_FIELDS = ("namespace", "type", "category", "scenario")
DEFAULT_TESTCASE = "{namespace}.{type}.{category}"

#: The keys of ``[messaging]`` with their meaning.
KEYS: Mapping[str, str] = {
    "enabled": "publish gatekeeper's messages (true or false; default false)",
    "topic_prefix": "put before every topic, like org.centos.prod (default: none)",
    "fedora_messaging_config": "the fedora-messaging configuration file to publish with "
    "(default: FEDORA_MESSAGING_CONF, else /etc/fedora-messaging/config.toml)",
    "publish_timeout": "seconds to wait for the broker to confirm a message (a number > 0)",
    "greenwave_compat": "also publish Greenwave's greenwave.decision.update messages, one per "
    "decision context, when its requirement lists change (true or false; default false)",
}
#: The keys of ``[consumer_config]`` with their meaning.
CONSUMER_KEYS: Mapping[str, str] = {
    "gatekeeper_config": "gatekeeper.toml to use (default: GATEKEEPER_CONFIG, ./gatekeeper.toml)",
    "topic_prefixes": "prefixes before the topics heard, like org.centos.prod (a list; "
    "default: derived from the routing keys of the queue bindings)",
    "published_topic": "the topic, after a prefix, saying a compose is on the mirrors",
    "testcase": "how a CI message's test names a testcase: {namespace}.{type}.{category}",
    "identities": "a table: topic glob -> the gatekeeper identity its messages act as",
    "groups": "a table: identity (of identities) -> the groups it is in, as policies' "
    "reporters.groups name them",
    "retry_delay": "seconds to wait before returning a message after a store error",
    "dispatch_interval": "seconds between outbox rounds in the consumer (0: no dispatcher)",
    "deadline_timer": "re-decide each open compose at its next deadline instant in the "
    "consumer (true or false; default true)",
}


@dataclass(frozen=True, slots=True)
class MessagingSettings:
    """What the publishing hooks need."""

    topic_prefix: str = ""
    fedora_messaging_config: str | None = None
    publish_timeout: float = 30.0
    greenwave_compat: bool = False

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, Any], *, source: str | None = None
    ) -> MessagingSettings | None:
        """Validate ``[messaging]``; ``None`` when publishing is not enabled."""
        _unknown(section, KEYS, SECTION, source)
        enabled = section.get("enabled", False)
        if not isinstance(enabled, bool):
            raise ConfigError(
                f"expected true or false, got {enabled!r}", file=source, key=f"{SECTION}.enabled"
            )
        prefix = _topic(section.get("topic_prefix", ""), source, f"{SECTION}.topic_prefix")
        conf = section.get("fedora_messaging_config")
        if conf is not None and (not isinstance(conf, str) or not conf.strip()):
            raise ConfigError(
                f"expected a file path, got {conf!r}",
                file=source,
                key=f"{SECTION}.fedora_messaging_config",
            )
        timeout = _positive(section, "publish_timeout", 30.0, source, SECTION)
        greenwave = section.get("greenwave_compat", False)
        if not isinstance(greenwave, bool):
            raise ConfigError(
                f"expected true or false, got {greenwave!r}",
                file=source,
                key=f"{SECTION}.greenwave_compat",
            )
        if not enabled:
            return None
        return cls(
            topic_prefix=prefix,
            fedora_messaging_config=conf,
            publish_timeout=timeout,
            greenwave_compat=greenwave,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> MessagingSettings | None:
        return cls.from_mapping(settings.section(SECTION), source=settings.source)

    def topic(self, name: str) -> str:
        """The full topic of one of gatekeeper's messages."""
        return f"{self.topic_prefix}.{name}" if self.topic_prefix else name


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """What the consumer needs, from fedora-messaging's ``[consumer_config]``."""

    gatekeeper_config: str | None = None
    topic_prefixes: tuple[str, ...] | None = None  # None: derived from the queue bindings
    published_topic: str | None = None
    testcase: str = DEFAULT_TESTCASE
    identities: tuple[tuple[str, str], ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    retry_delay: float = 1.0
    dispatch_interval: float = 1.0
    deadline_timer: bool = True
    source: str | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, Any], *, source: str | None = None
    ) -> ConsumerSettings:
        _unknown(section, CONSUMER_KEYS, CONSUMER_SECTION, source)
        key = CONSUMER_SECTION
        config = section.get("gatekeeper_config")
        if config is not None and (not isinstance(config, str) or not config.strip()):
            raise ConfigError(
                f"expected a file path, got {config!r}", file=source, key=f"{key}.gatekeeper_config"
            )
        prefixes = section.get("topic_prefixes")
        if prefixes is not None and (
            not isinstance(prefixes, Sequence) or isinstance(prefixes, str)
        ):
            raise ConfigError(
                f"expected a list of topic prefixes, got {prefixes!r}",
                file=source,
                key=f"{key}.topic_prefixes",
            )
        published = section.get("published_topic")
        if published is not None:
            published = _topic(published, source, f"{key}.published_topic") or None
        identities = _identities(section.get("identities", {}), source)
        deadline_timer = section.get("deadline_timer", True)
        if not isinstance(deadline_timer, bool):
            raise ConfigError(
                f"expected true or false, got {deadline_timer!r}",
                file=source,
                key=f"{key}.deadline_timer",
            )
        return cls(
            gatekeeper_config=config,
            topic_prefixes=None
            if prefixes is None
            else tuple(
                _topic(p, source, f"{key}.topic_prefixes[{i}]") for i, p in enumerate(prefixes)
            ),
            published_topic=published,
            testcase=_template(section.get("testcase", DEFAULT_TESTCASE), source),
            identities=identities,
            groups=_groups(section.get("groups", {}), {name for _, name in identities}, source),
            retry_delay=_positive(section, "retry_delay", 1.0, source, key, zero=True),
            dispatch_interval=_positive(section, "dispatch_interval", 1.0, source, key, zero=True),
            deadline_timer=deadline_timer,
            source=source,
        )

    def identity(self, topic: str) -> str | None:
        """The identity the topic's messages act as: the first glob that matches."""
        return next((name for glob, name in self.identities if fnmatchcase(topic, glob)), None)

    def groups_of(self, name: str) -> tuple[str, ...]:
        """The groups ``[consumer_config.groups]`` puts the identity ``name`` in."""
        return next((groups for who, groups in self.groups if who == name), ())


def _unknown(
    section: Mapping[str, Any], keys: Mapping[str, str], name: str, source: str | None
) -> None:
    unknown = sorted(set(section) - set(keys))
    if unknown:
        raise ConfigError(
            f"unknown setting; the [{name}] keys are: {', '.join(keys)}",
            file=source,
            key=f"{name}.{unknown[0]}",
        )


def _topic(value: object, source: str | None, key: str) -> str:
    if not isinstance(value, str) or any(c in value for c in " #*"):
        raise ConfigError(
            f"expected a topic like org.centos.prod (no blanks, * or #), got {value!r}",
            file=source,
            key=key,
        )
    return value.strip(".")


def _positive(
    section: Mapping[str, Any],
    name: str,
    default: float,
    source: str | None,
    table: str,
    *,
    zero: bool = False,
) -> float:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            f"expected a number of seconds, got {value!r}", file=source, key=f"{table}.{name}"
        )
    if value == 0 and not zero:
        raise ConfigError("must be more than 0", file=source, key=f"{table}.{name}")
    return float(value)


def _template(value: object, source: str | None) -> str:
    key = f"{CONSUMER_SECTION}.testcase"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected a template string, got {value!r}", file=source, key=key)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{value!r}: {exc}", file=source, key=key) from None
    bad = sorted(names - set(TESTCASE_FIELDS))
    if bad or not names:
        raise ConfigError(
            f"{value!r}: use the fields {', '.join('{' + f + '}' for f in TESTCASE_FIELDS)}",
            file=source,
            key=key,
        )
    return value


def _identities(value: object, source: str | None) -> tuple[tuple[str, str], ...]:
    key = f"{CONSUMER_SECTION}.identities"
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"expected a table of topic glob = identity name, got {value!r}", file=source, key=key
        )
    out = []
    for glob, name in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                f"expected an identity name, got {name!r}", file=source, key=f"{key}.{glob}"
            )
        out.append((str(glob), name.strip()))
    return tuple(out)


def _groups(
    value: object, identities: set[str], source: str | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    key = f"{CONSUMER_SECTION}.groups"
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"expected a table of identity name = [groups], got {value!r}", file=source, key=key
        )
    out = []
    for name, groups in value.items():
        where = f"{key}.{name}"
        if name not in identities:
            known = ", ".join(sorted(identities)) or "none"
            raise ConfigError(
                f"{name!r} is no identity of {CONSUMER_SECTION}.identities (they are: {known})",
                file=source,
                key=where,
            )
        if (
            not isinstance(groups, Sequence)
            or isinstance(groups, str)
            or not all(isinstance(g, str) and g.strip() for g in groups)
        ):
            raise ConfigError(
                f"expected a list of group names, got {groups!r}", file=source, key=where
            )
        out.append((str(name), tuple(dict.fromkeys(g.strip() for g in groups))))
    return tuple(out)
