"""The bus consumer, run the fedora-messaging way::

    fedora-messaging --conf examples/fedora-messaging.toml consume \\
        --callback gatekeeper_messaging.consumer:Consumer

Its settings are ``[consumer_config]`` of that file (see :mod:`gatekeeper_messaging.settings`);
gatekeeper's own are found as usual (``gatekeeper_config``, else ``GATEKEEPER_CONFIG``,
``GATEKEEPER_DATABASE_URL``, ``./gatekeeper.toml``). The application is built once, and the
outbox dispatcher (unless ``dispatch_interval = 0``) and the deadline timer (unless
``deadline_timer = false``: it re-decides each open compose at its next deadline instant) run
in the consumer's process.

The "published" topic says a compose is on the mirrors already: it is recorded even when the
compose was never promoted (forced, as the topic's identity: its merge request says so).

Delivery is at least once: the broker gives a message again when its acknowledgement was
lost. Storing it again changes nothing: a result's id is derived from the message id (or is
its ResultsDB id), and announcing and publishing a compose are idempotent. Who acts is never a
payload's claim: the broker authenticates publishers per topic, ``[consumer_config.identities]``
maps topic globs to gatekeeper identities, ``[consumer_config.groups]`` puts them in groups,
and the core authorises them by policy ownership.

Outcomes: handled or ignored -> ack; malformed, unreadable (whatever raised), unauthorised,
from a topic no identity is mapped to, or a result of a compose gatekeeper does not know ->
``Drop`` (logged with the reason), as is a value the store refuses (a NUL character in text
on PostgreSQL) and a result id already stored with another body (``outcome=conflict``); a
transient error (the database is unreachable or locked, the forge or the compose's server is
unreachable or failing) -> ``Nack``, requeued after ``retry_delay``. Every message gives one
``key=value`` log line: topic, id, action, outcome. A topic no handler takes is logged at
WARNING the first time, and a binding whose routing key reaches no handler at start-up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fedora_messaging.exceptions import Drop, Nack

from gatekeeper.config import load_settings
from gatekeeper.errors import Conflict, FetchError, GatekeeperError, NotFound, Unavailable
from gatekeeper.policy import team_for
from gatekeeper.service import Gatekeeper, open_app
from gatekeeper.timeutil import parse_time, utcnow
from gatekeeper_messaging import decoding, inbound
from gatekeeper_messaging.inbound import Malformed
from gatekeeper_messaging.logline import kv, log, reason
from gatekeeper_messaging.routing import Routes, routing_keys
from gatekeeper_messaging.settings import ConsumerSettings

if TYPE_CHECKING:
    from gatekeeper.outbox import Dispatcher
    from gatekeeper.service.deadline_timer import DeadlineTimer

__all__ = ["Consumer", "Refused", "kv"]

ACTOR_TTL = 10.0  # seconds an identity's groups and rights are reused without a lookup
#: Topics no handler takes that were logged at WARNING; past this many, the list starts over.
UNHANDLED_REMEMBERED = 1024


class Refused(Exception):
    """The message may not act (no identity for its topic, or the identity may not)."""


def _reactor_run_by_cli() -> None:
    """Under ``fedora-messaging consume`` the reactor runs in the main thread: tell crochet
    (which ``api.publish`` uses from the hooks' threads) not to start a second one."""
    if "fedora_messaging.cli" not in sys.modules:
        return
    import crochet

    with contextlib.suppress(RuntimeError):  # set up already: it has its reactor thread
        crochet.no_setup()


class Consumer:
    """The fedora-messaging callback: one instance per consumer process.

    ``bindings``: fedora-messaging's queue bindings (default: its ``bindings`` setting, as
    ``fedora-messaging consume`` runs them); their routing keys give the topic prefixes when
    ``topic_prefixes`` is not set, and each is checked to reach a handler. ``dispatch``
    false: no background thread at all (neither the outbox dispatcher nor the deadline
    timer), for a consumer embedded in another process or driven by a test.
    """

    def __init__(
        self,
        consumer_config: Mapping[str, Any] | None = None,
        *,
        app: Gatekeeper | None = None,
        dispatch: bool = True,
        bindings: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        from fedora_messaging import config

        _reactor_run_by_cli()
        if not decoding.guard():
            log.warning(
                "consumer: this fedora-messaging reads messages unguarded: "
                "a message it cannot read may stop the consumer"
            )
        if consumer_config is None:
            consumer_config = config.conf["consumer_config"]
        self.settings = ConsumerSettings.from_mapping(
            consumer_config, source="fedora-messaging [consumer_config]"
        )
        keys = routing_keys(config.conf["bindings"] if bindings is None else bindings)
        settings = self.settings
        self.routes = Routes.of(settings.topic_prefixes, keys, settings.published_topic)
        if app is None:
            app = open_app(load_settings(settings.gatekeeper_config))
        self.app = app
        self._actors: dict[str, tuple[float, Any]] = {}
        self._unhandled: set[str] = set()
        self.dispatcher: Dispatcher | None = None
        if dispatch and settings.dispatch_interval > 0:
            self.dispatcher = app.dispatcher
            self.dispatcher.start(interval=settings.dispatch_interval)
        self.timer: DeadlineTimer | None = None
        if dispatch and settings.deadline_timer:
            app.store.claim_single_writer()  # SQLite: a long-running writer, as a dispatcher
            self.timer = app.deadline_timer
            self.timer.start()
        prefixes = ",".join(self.routes.prefixes) or None
        log.info(
            "consumer started: %s",
            kv(
                store=app.store.dialect,
                prefixes=prefixes,
                prefixes_from="bindings" if self.routes.derived else "topic_prefixes",
                identities=len(settings.identities),
                dispatcher="on" if self.dispatcher is not None else "off",
                deadline_timer="on" if self.timer is not None else "off",
            ),
        )
        for key in keys:
            if not self.routes.reaches(key):
                log.warning(
                    "consumer: binding reaches no handler, its messages are acked and ignored: %s",
                    kv(routing_key=key, prefixes=prefixes, handled=",".join(self.routes.kinds)),
                )

    def _actor(self, name: str) -> Any:
        """The identity as the store knows it, in the groups ``[consumer_config.groups]``
        adds, looked up again after ``ACTOR_TTL`` seconds (a stream of messages from one
        topic need not read it once per message)."""
        now = time.monotonic()
        cached = self._actors.get(name)
        if cached is None or now - cached[0] > ACTOR_TTL:
            actor = self.app.actor(name)
            configured = self.settings.groups_of(name)
            if configured:
                groups = tuple(dict.fromkeys((*actor.groups, *configured)))
                actor = dataclasses.replace(actor, groups=groups)
            cached = self._actors[name] = (now, actor)
        return cached[1]

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None

    def _first_unhandled(self, topic: str) -> bool:
        """Whether no message of ``topic`` without a handler was logged at WARNING yet."""
        if topic in self._unhandled:
            return False
        if len(self._unhandled) >= UNHANDLED_REMEMBERED:
            self._unhandled.clear()
        self._unhandled.add(topic)
        return True

    # -- one message ----------------------------------------------------------------------
    def __call__(self, message: Any) -> None:
        topic = str(message.topic)
        kind = self.routes.kind(topic)
        action = _action(kind, self.settings)
        identity = self.settings.identity(topic)
        started = time.monotonic()
        fields: dict[str, object] = {"topic": topic, "id": message.id, "action": action}

        def done(outcome: str, level: int = logging.INFO, **more: object) -> None:
            ms = round((time.monotonic() - started) * 1000)
            log.log(
                level, "message %s", kv(**fields, outcome=outcome, identity=identity, **more, ms=ms)
            )

        if kind is None:
            first = self._first_unhandled(topic)
            prefixes = ", ".join(self.routes.prefixes) or "none"
            why = f"no handler for this topic (prefixes: {prefixes})"
            done("ignored", logging.WARNING if first else logging.INFO, reason=why)
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
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            done("requeued", logging.WARNING, reason=f"compose unreachable: {why}")
            time.sleep(self.settings.retry_delay)
            raise Nack() from None
        except Unavailable as exc:  # the forge is down: this message can succeed later
            done("requeued", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
            time.sleep(self.settings.retry_delay)
            raise Nack() from None
        except Conflict as exc:  # the same id said twice, differently: the first one stands
            done("conflict", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
            raise Drop() from None
        except (Refused, GatekeeperError) as exc:
            done("dropped", logging.WARNING, reason=f"{type(exc).__name__}: {exc}")
            raise Drop() from None
        except RecursionError as exc:  # a body some library walks deeper than Python can
            why = f"the body is nested too deeply: {reason(exc)}"
            done("dropped", logging.WARNING, reason=why)
            raise Drop() from None
        except Exception:
            log.exception("message %s", kv(**fields, outcome="dropped", reason="bug"))
            raise Drop() from None
        done(outcome, compose=compose, detail=detail)

    def _handle(
        self, action: str, kind: str, message: Any, identity: str
    ) -> tuple[str, str | None, str | None]:
        try:  # a fedora-messaging that decodes lazily raises here, not before the call
            body = message.body
        except Exception as exc:
            raise Malformed(f"the body cannot be read: {reason(exc)}") from None
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
            # a fact, not a request: the compose is on the mirrors, promoted or not
            published = self.app.publish(compose_id, force=True, by=identity)
            return ("already" if published.already else "published"), compose_id, None
        if action == "result-ci":
            if message.id is None or not str(message.id).strip():  # two would share one id
                raise Malformed("no message_id: a CI result's id is made of it")
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
        self.app.authorize_report(actor, [result.testcase])
        try:
            stored = self.app.record_results([result], actor)
        except NotFound:  # a reporter does not create composes: they are announced or imported
            raise Refused(
                f"unknown compose {result.compose}: results of a compose gatekeeper does not "
                "know are refused (it is announced or imported first)"
            ) from None
        if stored and self.dispatcher is not None:
            self.dispatcher.wake()  # decide now, while the next messages are stored
        outcome = "stored" if stored else "duplicate"
        return outcome, result.compose, f"{result.testcase} {result.outcome.value}"


def _action(kind: str | None, settings: ConsumerSettings) -> str:
    if kind is None:
        return "ignore"
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
