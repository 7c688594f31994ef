"""The bus consumer, run the fedora-messaging way::

    fedora-messaging --conf examples/fedora-messaging.toml consume \\
        --callback gatekeeper_messaging.consumer:Consumer

Its settings are ``[consumer_config]`` of that file (see :mod:`gatekeeper_messaging.settings`);
gatekeeper's own are found as usual (``gatekeeper_config``, else ``GATEKEEPER_CONFIG``,
``GATEKEEPER_DATABASE_URL``, ``./gatekeeper.toml``). The application is built once, and the
outbox dispatcher runs in the consumer's process.

Delivery is at least once; the effect is exactly once: a result's id is derived from the
message id (or is its ResultsDB id), and announcing and publishing a compose are idempotent,
so a redelivered message changes nothing. Who acts is never a payload's claim: the broker
authenticates publishers per topic, and ``[consumer_config.identities]`` maps topic globs to
gatekeeper identities, which the core authorises by policy ownership.

Outcomes: handled or ignored -> ack; malformed, unauthorised, or from a topic no identity is
mapped to -> ``Drop`` (logged with the reason), as is a value the store refuses (a NUL
character in text on PostgreSQL); a transient error (the database is unreachable or
locked, the forge or the compose's server is unreachable or failing) -> ``Nack``,
requeued after ``retry_delay``. Every message gives one
``key=value`` log line: topic, id, action, outcome.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fedora_messaging.exceptions import Drop, Nack

from gatekeeper.config import load_settings
from gatekeeper.errors import FetchError, GatekeeperError, NotFound, Unavailable
from gatekeeper.policy import team_for
from gatekeeper.service import Gatekeeper, open_app
from gatekeeper.timeutil import parse_time, utcnow
from gatekeeper_messaging import inbound
from gatekeeper_messaging.inbound import Malformed
from gatekeeper_messaging.settings import ConsumerSettings

if TYPE_CHECKING:
    from gatekeeper.outbox import Dispatcher

log = logging.getLogger("gatekeeper_messaging.consumer")


ACTOR_TTL = 10.0  # seconds an identity's groups and rights are reused without a lookup


class Refused(Exception):
    """The message may not act (no identity for its topic, or the identity may not)."""


def kv(**fields: object) -> str:
    """``key=value`` pairs; values with blanks or quotes are JSON strings."""
    parts = []
    for key, value in fields.items():
        text = "-" if value is None else str(value)
        if not text or any(c in text for c in ' "=\n\t'):
            text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def _reactor_run_by_cli() -> None:
    """Under ``fedora-messaging consume`` the reactor runs in the main thread: tell crochet
    (which ``api.publish`` uses from the hooks' threads) not to start a second one."""
    if "fedora_messaging.cli" not in sys.modules:
        return
    import crochet

    with contextlib.suppress(RuntimeError):  # set up already: it has its reactor thread
        crochet.no_setup()


class Consumer:
    """The fedora-messaging callback: one instance per consumer process."""

    def __init__(
        self,
        consumer_config: Mapping[str, Any] | None = None,
        *,
        app: Gatekeeper | None = None,
        dispatch: bool = True,
    ) -> None:
        from fedora_messaging import config

        _reactor_run_by_cli()
        if consumer_config is None:
            consumer_config = config.conf["consumer_config"]
        self.settings = ConsumerSettings.from_mapping(
            consumer_config, source="fedora-messaging [consumer_config]"
        )
        if app is None:
            app = open_app(load_settings(self.settings.gatekeeper_config))
        self.app = app
        self._actors: dict[str, tuple[float, Any]] = {}
        self.dispatcher: Dispatcher | None = None
        if dispatch and self.settings.dispatch_interval > 0:
            self.dispatcher = app.dispatcher
            self.dispatcher.start(interval=self.settings.dispatch_interval)
        log.info(
            "consumer started: %s",
            kv(
                store=app.store.dialect,
                prefixes=",".join(self.settings.topic_prefixes) or None,
                identities=len(self.settings.identities),
            ),
        )

    def _actor(self, name: str) -> Any:
        """The identity as the store knows it, looked up again after ``ACTOR_TTL`` seconds
        (a stream of messages from one topic need not read it once per message)."""
        now = time.monotonic()
        cached = self._actors.get(name)
        if cached is None or now - cached[0] > ACTOR_TTL:
            cached = self._actors[name] = (now, self.app.actor(name))
        return cached[1]

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None

    # -- one message ----------------------------------------------------------------------
    def __call__(self, message: Any) -> None:
        topic, mid = str(message.topic), str(message.id)
        kind = self.settings.kind(topic)
        action = _action(kind, self.settings)
        identity = self.settings.identity(topic)
        started = time.monotonic()
        fields: dict[str, object] = {"topic": topic, "id": mid, "action": action}

        def done(outcome: str, level: int = logging.INFO, **more: object) -> None:
            ms = round((time.monotonic() - started) * 1000)
            log.log(
                level, "message %s", kv(**fields, outcome=outcome, identity=identity, **more, ms=ms)
            )

        if action == "ignore":
            done("ignored", reason="no handler for this topic")
            return
        try:
            if identity is None:
                raise Refused(f"no identity is mapped to topic {topic}")
            outcome, compose, detail = self._handle(action, kind, message, identity)
        except Malformed as exc:
            done("dropped", logging.WARNING, reason=f"malformed: {exc}")
            raise Drop() from None
        except FetchError as exc:  # before GatekeeperError: a server failing is transient
            if not exc.transient:
                done("dropped", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
                raise Drop() from None
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            done("requeued", logging.WARNING, reason=f"compose unreachable: {reason}")
            time.sleep(self.settings.retry_delay)
            raise Nack() from None
        except Unavailable as exc:  # the forge is down: this message can succeed later
            done("requeued", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
            time.sleep(self.settings.retry_delay)
            raise Nack() from None
        except (Refused, GatekeeperError) as exc:
            done("dropped", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
            raise Drop() from None
        except Exception:
            log.exception("message %s", kv(**fields, outcome="dropped", reason="bug"))
            raise Drop() from None
        done(outcome, compose=compose, detail=detail)

    def _handle(
        self, action: str, kind: str, message: Any, identity: str
    ) -> tuple[str, str | None, str | None]:
        body = message.body
        if not isinstance(body, Mapping):
            raise Malformed(f"the body must be a JSON object, got {type(body).__name__}")
        if action == "import":
            location = inbound.pungi_location(body)
            if location is None:
                return "ignored", body.get("compose_id"), f"status {body.get('status')}"
            report = self.app.import_compose(location)
            return ("proposed" if report.proposed else "known"), report.compose.id, None
        if action == "publish":
            compose_id = inbound.published_compose(body)
            published = self.app.publish(compose_id)
            return ("already" if published.already else "published"), compose_id, None
        if action == "result-ci":
            result = inbound.ci_result(
                kind[len(inbound.CI_PREFIX) :],
                body,
                message_id=str(message.id),
                template=self.settings.testcase,
                sent_at=_sent_at(message),
            )
        else:
            result = inbound.resultsdb_result(body, message_id=str(message.id))
        if team_for(self.app.policies, result.testcase) is None:
            return "skipped", result.compose, f"testcase {result.testcase} is owned by no team"
        actor = self._actor(identity)
        self.app.authorize_report(actor, [result.testcase])  # before announcing anything
        try:
            stored = self.app.record_results([result], actor)
        except NotFound:  # results may arrive before the compose's own message
            self.app.announce(result.compose)
            stored = self.app.record_results([result], actor)
        if stored and self.dispatcher is not None:
            self.dispatcher.wake()  # decide now, while the next messages are stored
        outcome = "stored" if stored else "duplicate"
        return outcome, result.compose, f"{result.testcase} {result.outcome.value}"


def _action(kind: str, settings: ConsumerSettings) -> str:
    if kind == inbound.PUNGI:
        return "import"
    if settings.published_topic and kind == settings.published_topic:
        return "publish"
    if kind.startswith(inbound.CI_PREFIX):
        return "result-ci"
    if kind == inbound.RESULTSDB:
        return "result-resultsdb"
    return "ignore"


def _sent_at(message: Any) -> datetime:
    sent = (getattr(message, "_headers", None) or {}).get("sent-at")
    try:
        return parse_time(sent) if sent else utcnow()
    except ValueError:
        return utcnow()
