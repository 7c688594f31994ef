"""The publishing hooks: nothing without [messaging]; a failed publish raises, so the outbox
entry stays pending for the dispatcher to retry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fedora_messaging import api
from fedora_messaging.exceptions import PublishTimeout
from messaging_helpers import POLICY

from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)

COMPOSE = "CentOS-Stream-9-20261124.0"
BOT = Actor(name="t-functional-bot")


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(t_functional=POLICY)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(COMPOSE)
    return gk_app


def report(app: Gatekeeper, arch: str) -> None:
    result = Result(COMPOSE, "t_functional.tier0.functional", Outcome.PASSED,
                    app.clock(), id=arch, arch=arch)  # fmt: skip
    app.ingest([result], BOT)


def pending(app: Gatekeeper) -> list[dict[str, Any]]:
    with app.store.transaction() as tx:
        return [row for row in tx.pending_outbox() if row["delivered_at"] is None]


def test_messaging_hooks_do_nothing_without_the_section(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(api, "publish", lambda *a, **k: sent.append(a))
    report(app, "x86_64")
    report(app, "aarch64")  # decision changes and a promotion: no message, nothing pending
    assert sent == [] and pending(app) == []


def test_messaging_a_failed_publish_leaves_the_outbox_entry_pending(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.settings = replace(app.settings, sections={"messaging": {"enabled": True}})

    def fail(*args: Any, **kwargs: Any) -> None:
        raise PublishTimeout("Publishing timed out after waiting 30 seconds.")

    monkeypatch.setattr(api, "publish", fail)
    report(app, "x86_64")
    rows = pending(app)
    assert [row["kind"] for row in rows] == ["gatekeeper_decision_changed"]
    assert "PublishTimeout" in (rows[0]["last_error"] or "")


def test_messaging_publishes_with_the_prefix_and_a_stable_id(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.settings = replace(
        app.settings, sections={"messaging": {"enabled": True, "topic_prefix": "org.centos.prod"}}
    )
    sent: list[Any] = []
    monkeypatch.setattr(api, "publish", lambda message, **k: sent.append(message))
    report(app, "x86_64")
    report(app, "aarch64")
    topics = [m.topic for m in sent]
    assert topics == [
        "org.centos.prod.gatekeeper.decision.update.v1",
        "org.centos.prod.gatekeeper.decision.update.v1",
        "org.centos.prod.gatekeeper.compose.promotable.v1",
    ]
    assert len({m.id for m in sent}) == 3 and pending(app) == []
