"""The hooks of gatekeeper-messaging (entry point ``messaging`` in the group ``gatekeeper``).

Each hook publishes one message with ``fedora_messaging.api.publish`` and waits for the
broker's confirm. A failure raises, so the outbox entry that called the hook stays pending
and the dispatcher retries it; nothing is swallowed. Without ``[messaging] enabled = true``
every hook does nothing (no broker needed).

When it is enabled, the HTTP API's ``/healthz`` also checks the bus (``bus``): a short AMQP
connection to the broker of the fedora-messaging configuration the hooks publish with.

With ``[messaging] greenwave_compat = true`` a decision change also publishes Greenwave's
``greenwave.decision.update``, one per decision context the compose's policies name, each
only when that context's requirement lists changed (``result_id`` and ``ref_url`` aside),
as Greenwave's listener does; the lists are those ``POST /api/v1.0/decision`` answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gatekeeper import hookimpl
from gatekeeper.evaluate import policy_applies, verdict_of
from gatekeeper.model import PASSED, Compose, Decision, MergeRequest, Policy, RerunRequest
from gatekeeper.service.compat_greenwave import SUBJECT_TYPE, greenwave_summary, requirement
from gatekeeper.service.compat_waiverdb import version_of
from gatekeeper_messaging.bodies import (
    compose_body,
    decision_update_body,
    merge_request_body,
    message_id,
    rerun_body,
)
from gatekeeper_messaging.settings import MessagingSettings

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper
    from gatekeeper_messaging.schemas import GatekeeperMessage

# the message classes (and fedora-messaging under them) load when a message is sent
_SCHEMAS = "gatekeeper_messaging.schemas"

log = logging.getLogger("gatekeeper_messaging")
_config_lock = threading.Lock()
#: Seconds the bus health check waits for the broker (connecting and the AMQP handshake).
HEALTH_TIMEOUT = 3.0


def _load_config(settings: MessagingSettings) -> None:
    """Load the named fedora-messaging configuration once, unless one is loaded already
    (``fedora-messaging --conf`` in the consumer, ``FEDORA_MESSAGING_CONF`` on first use)."""
    from fedora_messaging import config

    if settings.fedora_messaging_config is None:
        return
    with _config_lock:
        if not config.conf.loaded:
            config.conf.load_config(config_path=settings.fedora_messaging_config)


def publish(
    app: Any, name: str, body: Mapping[str, Any], *, key: tuple[object, ...]
) -> GatekeeperMessage | None:
    """Publish one message of the schema class ``name`` (of :mod:`.schemas`) when messaging is
    enabled; raises when it fails."""
    settings = MessagingSettings.from_settings(app.settings)
    if settings is None:
        return None
    import importlib

    from fedora_messaging import api

    cls: type[GatekeeperMessage] = getattr(importlib.import_module(_SCHEMAS), name)
    _load_config(settings)
    message = cls(body=dict(body), topic=settings.topic(cls.topic))
    message.id = message_id(cls.topic, *key)
    api.publish(message, timeout=max(1, round(settings.publish_timeout)))
    log.info("published topic=%s id=%s compose=%s", message.topic, message.id, message.compose_id)
    return message


@hookimpl
def gatekeeper_compose_proposed(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest
) -> None:
    body = {"compose": compose_body(compose), "merge_request": merge_request_body(merge_request)}
    publish(app, "ComposeProposedV1", body, key=(compose.id,))


@hookimpl
def gatekeeper_decision_changed(
    app: Gatekeeper, compose: Compose, old: Decision | None, new: Decision, version: int
) -> None:
    settings = MessagingSettings.from_settings(app.settings)
    if settings is None:
        return
    body = decision_update_body(compose, old.to_json() if old else None, new, version)
    if body is None:
        log.debug("decision v%s of %s: no change a reader sees; not sent", version, compose.id)
    else:
        publish(app, "DecisionUpdateV1", body, key=(compose.id, version))
    if settings.greenwave_compat:
        for update in greenwave_updates(app.policies, compose, old, new):
            key = (GREENWAVE_TOPIC, compose.id, version, update["decision_context"])
            publish(app, "GreenwaveDecisionUpdate", update, key=key)


GREENWAVE_TOPIC = "greenwave.decision.update"
#: What Greenwave's listener ignores comparing requirements (the result's ref_url goes with it).
IGNORED = ("result_id", "ref_url")


def greenwave_decision(
    compose: Compose, decision: Decision, selected: list[Policy], applicable: list[Policy]
) -> dict[str, Any]:
    """The decision as ``POST /api/v1.0/decision`` answers it for the selected policies."""
    answers = decision.answers
    satisfied = decision.policies_satisfied
    if len(selected) < len(applicable):  # a context naming some policies: their answers
        teams = {p.team for p in selected}
        answers = tuple(a for a in answers if a.team in teams)
        satisfied = verdict_of(answers) == PASSED
    return {
        "policies_satisfied": satisfied,
        "summary": greenwave_summary(answers),
        "applicable_policies": [p.team for p in selected],
        "satisfied_requirements": [requirement(compose.id, a) for a in answers if a.is_satisfied],
        "unsatisfied_requirements": [
            requirement(compose.id, a) for a in answers if not a.is_satisfied
        ],
    }


def _unchanged(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Greenwave's ``_is_decision_unchanged``: equal but for the ignored requirement keys."""

    def strip(decision: dict[str, Any]) -> dict[str, Any]:
        return {
            key: [{k: v for k, v in r.items() if k not in IGNORED} for r in value]
            if key.endswith("_requirements")
            else value
            for key, value in decision.items()
        }

    return strip(old) == strip(new)


def greenwave_updates(
    policies: list[Policy], compose: Compose, old: Decision | None, new: Decision
) -> list[dict[str, Any]]:
    """The ``greenwave.decision.update`` bodies of a decision change: one per decision context
    of the compose's policies whose decision changed, in the contexts' order."""
    applicable = [p for p in policies if policy_applies(p, compose.product, compose.type)]
    out = []
    for context in sorted({c for p in applicable for c in p.decision_contexts}):
        selected = [p for p in applicable if context in p.decision_contexts]
        now = greenwave_decision(compose, new, selected, applicable)
        before = None if old is None else greenwave_decision(compose, old, selected, applicable)
        if before is not None and _unchanged(before, now):
            continue
        out.append(
            {
                **now,
                "subject_type": SUBJECT_TYPE,
                "subject_identifier": compose.id,
                "subject": [{"productmd.compose.id": compose.id}],  # upstream: compatibility
                "decision_context": context,
                "product_version": version_of(compose.product),
                "previous": before,
            }
        )
    return out


@hookimpl
def gatekeeper_promote_compose(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    body = {"compose": compose_body(compose), "decision": decision.to_json()}
    publish(app, "ComposePromotableV1", body, key=(compose.id, body["decision"]["evaluated_at"]))


@hookimpl
def gatekeeper_promotion_revoked(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    body = {"compose": compose_body(compose), "decision": decision.to_json()}
    publish(app, "PromotionRevokedV1", body, key=(compose.id, body["decision"]["evaluated_at"]))


@hookimpl
def gatekeeper_compose_published(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest | None
) -> None:
    body = {"compose": compose_body(compose), "merge_request": merge_request_body(merge_request)}
    publish(app, "ComposePublishedV1", body, key=(compose.id,))


@hookimpl
def gatekeeper_rerun_requested(app: Gatekeeper, compose: Compose, request: RerunRequest) -> None:
    body = rerun_body(compose, request)
    publish(app, "RerunRequestedV1", body, key=(compose.id, request.id))


def _broker(settings: MessagingSettings) -> Mapping[str, Any]:
    """The fedora-messaging configuration to check: the file ``[messaging]`` names, else
    fedora-messaging's own (``FEDORA_MESSAGING_CONF``; ``--conf`` in the consumer)."""
    from fedora_messaging import config

    if settings.fedora_messaging_config is None:
        return config.conf
    return config.LazyConfig().load_config(config_path=settings.fedora_messaging_config)


def bus_check(settings: MessagingSettings) -> Callable[[], None]:
    """The ``bus`` health check: open and close one AMQP connection, within
    :data:`HEALTH_TIMEOUT`; raises ``ConnectionError`` naming the broker when it fails."""
    import pika

    def bus() -> None:
        conf = _broker(settings)
        params = pika.URLParameters(conf["amqp_url"])
        where = f"{params.host}:{params.port}"
        if conf["amqp_url"].startswith("amqps"):
            _tls(params, conf["tls"])
        params.connection_attempts, params.retry_delay = 1, 0
        params.socket_timeout = params.stack_timeout = HEALTH_TIMEOUT
        params.blocked_connection_timeout = HEALTH_TIMEOUT
        params.client_properties = {**conf["client_properties"], "connection_name": "healthz"}
        try:
            pika.BlockingConnection(params).close()
        except Exception as exc:
            # pika's connection errors keep the cause in their args, often with no str()
            detail = str(exc) or ", ".join(str(arg) or repr(arg) for arg in exc.args)
            reason = " ".join(f"{type(exc).__name__}: {detail}".split()).rstrip(": ")
            raise ConnectionError(f"broker {where} unreachable: {reason}") from exc

    return bus


def _tls(params: Any, tls: Mapping[str, Any]) -> None:
    """TLS as fedora-messaging sets it up: its CA, and x509 client authentication when a
    certificate and key are configured."""
    import ssl

    import pika

    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.get("ca_cert"):
        context.load_verify_locations(cafile=tls["ca_cert"])
    if tls.get("certfile") and tls.get("keyfile"):
        context.load_cert_chain(tls["certfile"], tls["keyfile"])
        params.credentials = pika.credentials.ExternalCredentials()
    params.ssl_options = pika.SSLOptions(context, server_hostname=params.host)


@hookimpl
def gatekeeper_extend_api(app: Any, api: Any) -> None:
    """With messaging enabled, ``/healthz`` checks the bus too (once per application)."""
    settings = MessagingSettings.from_settings(app.settings)
    checks = getattr(app, "health_checks", None)
    if settings is None or checks is None:
        return
    if not any(getattr(check, "__name__", None) == "bus" for check in checks):
        checks.append(bus_check(settings))
