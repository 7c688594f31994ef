"""Outbox claims and notifications, the same to the dispatcher on every dialect.

A claim makes an outbox entry the caller's alone while it is sent:

- PostgreSQL: the rows are locked ``FOR UPDATE SKIP LOCKED`` by a transaction that stays
  open while the caller sends, and are marked in that same transaction, so a crash (the
  connection drops) leaves them pending;
- SQLite (one writer at a time): the claim is a lease (``not_before = now + lease``)
  committed before sending, and the outcome is marked in a second transaction; a crashed
  sender's entries are due again when the lease ends.

The outcome is one of three: delivered, due again after a backoff, or dead (a dead letter
is never claimed again until it is revived).

:class:`Listener` waits for PostgreSQL's ``NOTIFY`` of the outbox channel, which every
transaction that enqueues sends on commit, so a dispatcher wakes at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gatekeeper.store.outbox import OUTBOX_CHANNEL

if TYPE_CHECKING:
    import sqlalchemy as sa

    from gatekeeper.store.tx import Tx


class OutboxClaim:
    """Entries claimed for one send: the first is due, the rest are its batch siblings.
    The sender says :meth:`delivered`, :meth:`retry` or :meth:`dead`; the store marks it."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self._error: str | None = None
        self._backoff: Callable[[int], timedelta] | None = None
        self._max_attempts: int | None = None
        self._dead = False

    def delivered(self) -> None:
        self._error, self._backoff, self._dead = None, None, False

    def retry(
        self, error: str, backoff: Callable[[int], timedelta], *, max_attempts: int | None = None
    ) -> None:
        """Keep the entries pending, each due again after ``backoff(attempts)``; an entry
        whose attempts reach ``max_attempts`` with this one goes dead instead."""
        self._error, self._backoff, self._dead = error, backoff, False
        self._max_attempts = max_attempts

    def dead(self, error: str) -> None:
        """Give the entries up at once: dead letters, never claimed again until revived."""
        self._error, self._backoff, self._dead = error, None, True

    def settle(self, tx: Tx) -> None:
        error = self._error or ""
        if self._dead:
            tx.mark_dead([row["id"] for row in self.rows], error)
            return
        if self._backoff is None:
            tx.mark_delivered([row["id"] for row in self.rows])
            return
        for row in self.rows:
            attempts = int(row["attempts"])
            if self._max_attempts is not None and attempts + 1 >= self._max_attempts:
                tx.mark_dead(row["id"], error)
            else:
                tx.retry_later(row["id"], error, self._backoff(attempts))


def take(
    tx: Tx, ids: Sequence[int] | None, lease: timedelta, batched: Collection[str]
) -> OutboxClaim | None:
    """The next due entry (among ``ids`` if given), with every other pending entry of its
    compose when its kind is ``batched``."""
    row = tx.claim_outbox(ids=ids, lease=lease)
    if row is None:
        return None
    if row["kind"] not in batched:
        return OutboxClaim([row])
    return OutboxClaim([row, *tx.claim_siblings(row, lease=lease)])


class Listener:
    """``LISTEN`` on the outbox channel, on a connection of its own (never pooled)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.conn: Any = None

    def wait(self, timeout: float) -> bool:
        """True if a notification came within ``timeout`` seconds."""
        try:
            if self.conn is None:
                raw = self.engine.raw_connection()
                raw.detach()  # its own connection, never back in the pool
                self.conn = raw.driver_connection
                self.conn.autocommit = True
                self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
            return any(True for _ in self.conn.notifies(timeout=timeout, stop_after=1))
        except Exception:  # the store is down: fall back to the interval
            self.close()
            time.sleep(timeout)
            return False

    def wait_until(self, interval: float, wake: threading.Event) -> None:
        """Return after ``interval`` seconds, when ``wake`` is set, or on a notification."""
        deadline = time.monotonic() + interval
        while not wake.is_set() and (left := deadline - time.monotonic()) > 0:
            if self.wait(min(left, 0.2)):
                break

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
