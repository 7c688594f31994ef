"""/metrics shows the outbox's dead letters beside its depth."""

from __future__ import annotations

from apihelpers import CheckedClient

from gatekeeper.service import Gatekeeper


def gauge(text: str, name: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])


def test_dead_letters_are_a_gauge_of_their_own(client: CheckedClient, app: Gatekeeper) -> None:
    with app.store.transaction() as tx:
        tx.enqueue("gatekeeper_no_such_hook", {})  # can never be sent
        tx.enqueue("gatekeeper_no_such_hook_either", {})
    text = client.get("/metrics").text
    assert gauge(text, "gatekeeper_outbox_dead_letters") == 0
    assert gauge(text, "gatekeeper_outbox_depth") == 2

    app.dispatcher.run_once()
    text = client.get("/metrics").text
    assert gauge(text, "gatekeeper_outbox_dead_letters") == 2
    assert gauge(text, "gatekeeper_outbox_depth") == 0, "a dead letter waits for nobody"
