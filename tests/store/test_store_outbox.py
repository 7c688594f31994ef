"""The outbox: messages committed with their change, delivered or retried."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

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


# -- dead letters ----------------------------------------------------------------------------


def test_a_dead_entry_is_never_claimed_again(store: Store) -> None:
    with store.transaction() as tx:
        dead = tx.enqueue("redecide", {"compose": "X"}, compose_id="X")
        tx.mark_dead(dead, "NoPolicyApplies: no policy applies")

    with store.transaction() as tx:
        assert tx.claim_outbox() is None
        assert tx.claim_outbox(ids=[dead]) is None
    [row] = _entries(store)
    assert (row["state"], row["attempts"]) == ("dead", 1)
    assert row["last_error"] == "NoPolicyApplies: no policy applies"
    assert row["dead_at"] is not None and row["delivered_at"] is None


def test_a_dead_entry_is_no_batch_sibling(store: Store) -> None:
    with store.transaction() as tx:
        dead = tx.enqueue("redecide", {"compose": "X"}, compose_id="X")
        live = tx.enqueue("redecide", {"compose": "X"}, compose_id="X")
        tx.mark_dead(dead, "gone")

    with store.transaction() as tx:
        row = tx.claim_outbox()
        assert row is not None and row["id"] == live
        assert tx.claim_siblings(row) == []


def test_a_revived_entry_is_due_at_once_with_a_fresh_count(store: Store) -> None:
    with store.transaction() as tx:
        dead = tx.enqueue("redecide", {"compose": "X"}, compose_id="X")
        tx.retry_later(dead, "ConnectionError: down", timedelta(minutes=10))
        tx.mark_dead(dead, "ConnectionError: down")

    with store.transaction() as tx:
        assert tx.revive_dead([dead]) == [dead]
    with store.transaction() as tx:
        row = tx.claim_outbox()
    assert row is not None and row["id"] == dead
    assert (row["attempts"], row["dead_at"]) == (0, None)
    assert row["last_error"] == "ConnectionError: down"  # kept until the next try


def test_reviving_touches_dead_entries_only(store: Store) -> None:
    with store.transaction() as tx:
        pending = tx.enqueue("a", {})
        delivered = tx.enqueue("b", {})
        tx.mark_delivered(delivered)
        dead = [tx.enqueue("c", {"n": n}) for n in range(2)]
        for outbox_id in dead:
            tx.mark_dead(outbox_id, "bad")

    with store.transaction() as tx:
        assert tx.revive_dead([pending, delivered]) == []
        assert tx.revive_dead() == dead  # every dead entry
    assert {row["id"]: row["state"] for row in _entries(store)} == {
        pending: "pending", dead[0]: "pending", dead[1]: "pending",
    }  # fmt: skip


def test_entries_are_listed_by_state_oldest_first(store: Store) -> None:
    with store.transaction() as tx:
        pending = tx.enqueue("a", {}, compose_id="X")
        delivered = tx.enqueue("b", {})
        tx.mark_delivered(delivered)
        dead = tx.enqueue("c", {})
        tx.mark_dead(dead, "bad")

    assert [(r["id"], r["state"]) for r in _entries(store)] == [
        (pending, "pending"), (dead, "dead"),
    ]  # fmt: skip
    assert [r["id"] for r in _entries(store, ["dead"])] == [dead]
    assert [r["id"] for r in _entries(store, ["pending", "dead", "delivered"])] == [
        pending, delivered, dead,
    ]  # fmt: skip
    with store.transaction(readonly=True) as tx:
        assert [r["id"] for r in tx.outbox_entries(limit=1, offset=1)] == [dead]
        assert [r["id"] for r in tx.outbox_entries(["pending", "delivered"], ids=[dead])] == []
        with pytest.raises(ValueError, match="unknown outbox state"):
            tx.outbox_entries(["lost"])


def test_the_depth_counts_pending_entries_and_dead_ones_are_counted_apart(store: Store) -> None:
    with store.transaction() as tx:
        tx.enqueue("a", {})
        tx.mark_delivered(tx.enqueue("b", {}))
        tx.mark_dead(tx.enqueue("c", {}), "bad")
        tx.mark_dead(tx.enqueue("d", {}), "bad")

    with store.transaction(readonly=True) as tx:
        assert (tx.outbox_depth(), tx.dead_letter_count()) == (1, 2)


def _entries(store: Store, states: Sequence[str] = ("pending", "dead")) -> list[dict[str, Any]]:
    with store.transaction(readonly=True) as tx:
        return tx.outbox_entries(states)
