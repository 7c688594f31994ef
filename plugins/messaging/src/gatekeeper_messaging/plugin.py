"""The hooks of gatekeeper-messaging (entry point ``messaging`` in the group ``gatekeeper``).

Each hook publishes one message with ``fedora_messaging.api.publish`` and waits for the
broker's confirm. A failure raises, so the outbox entry that called the hook stays pending
and the dispatcher retries it; nothing is swallowed. Without ``[messaging] enabled = true``
every hook does nothing (no broker needed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from gatekeeper import hookimpl
from gatekeeper.model import Compose, Decision
from gatekeeper_messaging.bodies import (
    compose_body,
    decision_update_body,
    merge_request_body,
    message_id,
)
from gatekeeper_messaging.schemas import (
    ComposePromotableV1,
    ComposeProposedV1,
    ComposePublishedV1,
    DecisionUpdateV1,
    GatekeeperMessage,
    PromotionRevokedV1,
)
from gatekeeper_messaging.settings import MessagingSettings

log = logging.getLogger("gatekeeper_messaging")
_config_lock = threading.Lock()


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
    app: Any, cls: type[GatekeeperMessage], body: Mapping[str, Any], *, key: tuple[object, ...]
) -> GatekeeperMessage | None:
    """Publish one message of ``cls`` when messaging is enabled; raises when it fails."""
    settings = MessagingSettings.from_settings(app.settings)
    if settings is None:
        return None
    from fedora_messaging import api

    _load_config(settings)
    message = cls(body=dict(body), topic=settings.topic(cls.topic))
    message.id = message_id(cls.topic, *key)
    api.publish(message, timeout=max(1, round(settings.publish_timeout)))
    log.info("published topic=%s id=%s compose=%s", message.topic, message.id, message.compose_id)
    return message


@hookimpl
def gatekeeper_compose_proposed(
    app: Any, compose: Compose, merge_request: Mapping[str, Any]
) -> None:
    body = {"compose": compose_body(compose), "merge_request": merge_request_body(merge_request)}
    publish(app, ComposeProposedV1, body, key=(compose.id,))


@hookimpl
def gatekeeper_decision_changed(
    app: Any, compose: Compose, old: Mapping[str, Any] | None, new: Decision, version: int
) -> None:
    if MessagingSettings.from_settings(app.settings) is None:
        return
    body = decision_update_body(compose, old, new, version)
    if body is None:
        log.debug("decision v%s of %s: no change a reader sees; not sent", version, compose.id)
        return
    publish(app, DecisionUpdateV1, body, key=(compose.id, version))


@hookimpl
def gatekeeper_promote_compose(app: Any, compose: Compose, decision: Decision) -> None:
    body = {"compose": compose_body(compose), "decision": decision.to_json()}
    publish(app, ComposePromotableV1, body, key=(compose.id, body["decision"]["evaluated_at"]))


@hookimpl
def gatekeeper_promotion_revoked(app: Any, compose: Compose, decision: Decision) -> None:
    body = {"compose": compose_body(compose), "decision": decision.to_json()}
    publish(app, PromotionRevokedV1, body, key=(compose.id, body["decision"]["evaluated_at"]))


@hookimpl
def gatekeeper_compose_published(
    app: Any, compose: Compose, merge_request: Mapping[str, Any] | None
) -> None:
    body = {"compose": compose_body(compose), "merge_request": merge_request_body(merge_request)}
    publish(app, ComposePublishedV1, body, key=(compose.id,))
