"""The outbox: messages committed with their change, delivered or retried."""

from __future__ import annotations

import pytest

from gatekeeper.store import Store


def test_enqueued_messages_are_pending_in_order(store: Store) -> None:
    with store.transaction() as tx:
        first = tx.enqueue("compose.promoted", {"compose": "X", "n": [1, 2]}, compose_id="X")
        second = tx.enqueue("decision.changed", {"compose": "Y"})

    with store.transaction() as tx:
        pending = tx.pending_outbox()

    assert [m["id"] for m in pending] == [first, second]
    message = pending[0]
    assert message["kind"] == "compose.promoted"
    assert message["compose_id"] == "X"
    assert message["payload"] == {"compose": "X", "n": [1, 2]}
    assert (message["attempts"], message["delivered_at"], message["last_error"]) == (0, None, None)
    assert message["created_at"].tzinfo is not None
    assert pending[1]["compose_id"] is None


def test_delivered_messages_are_no_longer_pending(store: Store) -> None:
    with store.transaction() as tx:
        done = tx.enqueue("a", {})
        left = tx.enqueue("b", {})

    with store.transaction() as tx:
        tx.mark_delivered(done)

    with store.transaction() as tx:
        assert [m["id"] for m in tx.pending_outbox()] == [left]


def test_failed_messages_stay_pending_and_count_attempts(store: Store) -> None:
    with store.transaction() as tx:
        message = tx.enqueue("a", {})

    for error in ("connection refused", "timeout"):
        with store.transaction() as tx:
            tx.mark_failed(message, error)

    with store.transaction() as tx:
        [pending] = tx.pending_outbox()
    assert (pending["attempts"], pending["last_error"]) == (2, "timeout")


def test_pending_outbox_honours_the_limit(store: Store) -> None:
    with store.transaction() as tx:
        ids = [tx.enqueue("a", {"n": n}) for n in range(5)]

    with store.transaction() as tx:
        assert [m["id"] for m in tx.pending_outbox(limit=2)] == ids[:2]


def test_a_message_of_a_rolled_back_transaction_is_never_sent(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.enqueue("a", {})
        raise RuntimeError("the change failed")

    with store.transaction() as tx:
        assert tx.pending_outbox() == []
