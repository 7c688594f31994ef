"""The transactional outbox: messages written with the change they announce.

A message is enqueued in the same transaction as the state change it tells about,
so it is sent if and only if the change was committed. A dispatcher claims it
(:meth:`OutboxQueries.claim_outbox`), sends, and marks it delivered, due again later, or
dead. An entry is in one of :data:`OUTBOX_STATES`:

- ``pending``: not delivered yet (due now, or after its backoff);
- ``dead``: given up (``dead_at``): never claimed again until :meth:`revive_dead`;
- ``delivered``: sent (``delivered_at``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.timeutil import utcnow

OUTBOX_CHANNEL = "gatekeeper_outbox"
"""PostgreSQL notification channel: a transaction that enqueues notifies it on commit."""

OUTBOX_STATES = ("pending", "dead", "delivered")


def _state_of(states: Collection[str]) -> sa.ColumnElement[bool]:
    """The condition on outbox rows of one of ``states``."""
    c = t.outbox.c
    unknown = sorted(set(states) - set(OUTBOX_STATES))
    if unknown:
        raise ValueError(f"unknown outbox state {', '.join(unknown)}; states: {OUTBOX_STATES}")
    conditions = {
        "pending": sa.and_(c.delivered_at.is_(None), c.dead_at.is_(None)),
        "dead": sa.and_(c.delivered_at.is_(None), c.dead_at.is_not(None)),
        "delivered": c.delivered_at.is_not(None),
    }
    return sa.or_(sa.false(), *(conditions[state] for state in OUTBOX_STATES if state in states))


def _with_state(row: Mapping[str, Any]) -> dict[str, Any]:
    if row["delivered_at"] is not None:
        state = "delivered"
    else:
        state = "pending" if row["dead_at"] is None else "dead"
    return {**row, "state": state}


class OutboxQueries(TxBase):
    _notified = False

    def enqueue(self, kind: str, payload: Mapping[str, Any], compose_id: str | None = None) -> int:
        """Queue a message; returns its id."""
        stmt = (
            sa.insert(t.outbox)
            .values(kind=kind, compose_id=compose_id, payload=dict(payload), created_at=utcnow())
            .returning(t.outbox.c.id)
        )
        outbox_id = int(self._conn.execute(stmt).scalar_one())
        if self._conn.dialect.name == "postgresql" and not self._notified:
            self._conn.execute(sa.text(f"NOTIFY {OUTBOX_CHANNEL}"))  # sent at commit
            self._notified = True  # once per transaction is enough
        return outbox_id

    def pending_outbox(self, limit: int = 100) -> list[dict[str, Any]]:
        """Undelivered messages (pending or dead), oldest first.

        On PostgreSQL the rows stay locked until the transaction ends and rows
        locked by another worker are skipped, so two workers never send the same one.
        """
        stmt = (
            sa.select(t.outbox)
            .where(t.outbox.c.delivered_at.is_(None))
            .order_by(t.outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def claim_outbox(
        self, *, ids: Sequence[int] | None = None, lease: timedelta = timedelta(minutes=5)
    ) -> dict[str, Any] | None:
        """The oldest entry due for sending (among ``ids`` if given), claimed for the caller;
        a dead entry is never due.

        PostgreSQL: the row is locked ``FOR UPDATE SKIP LOCKED`` until the caller's
        transaction ends; the caller sends inside it, so no other dispatcher can take
        it, and a crash (the connection drops) leaves it pending. SQLite (one writer at
        a time, ``BEGIN IMMEDIATE``): the claim is a lease, ``not_before = now + lease``,
        committed before sending; a crashed sender's entry is due again when it ends.
        """
        now = utcnow()
        c = t.outbox.c
        stmt = (
            sa.select(t.outbox)
            .where(
                c.delivered_at.is_(None),
                c.dead_at.is_(None),
                sa.or_(c.not_before.is_(None), c.not_before <= now),
            )
            .order_by(c.id)
            .limit(1)
        )
        if ids is not None:
            if not ids:
                return None
            stmt = stmt.where(c.id.in_(list(ids)))
        if self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = self._conn.execute(stmt).mappings().first()
        if row is None:
            return None
        if self._conn.dialect.name != "postgresql":
            self._conn.execute(
                sa.update(t.outbox).where(c.id == row["id"]).values(not_before=now + lease)
            )
        return dict(row)

    def claim_siblings(
        self, row: Mapping[str, Any], *, lease: timedelta = timedelta(minutes=5)
    ) -> list[dict[str, Any]]:
        """The other pending entries of ``row``'s kind and compose, claimed as
        :meth:`claim_outbox` claims (for entries one send covers, e.g. ``redecide``)."""
        c = t.outbox.c
        stmt = (
            sa.select(t.outbox)
            .where(
                c.delivered_at.is_(None),
                c.dead_at.is_(None),
                c.kind == row["kind"],
                c.compose_id == row["compose_id"],
                c.id != row["id"],
            )
            .order_by(c.id)
        )
        if self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = [dict(found) for found in self._conn.execute(stmt).mappings()]
        if rows and self._conn.dialect.name != "postgresql":
            self._conn.execute(
                sa.update(t.outbox)
                .where(c.id.in_([found["id"] for found in rows]))
                .values(not_before=utcnow() + lease)
            )
        return rows

    def retry_later(self, outbox_id: int, error: str, backoff: timedelta) -> None:
        """Count a failed send; the entry stays pending and is due again after ``backoff``."""
        self._conn.execute(
            sa.update(t.outbox)
            .where(t.outbox.c.id == outbox_id)
            .values(
                attempts=t.outbox.c.attempts + 1,
                last_error=error,
                not_before=utcnow() + backoff,
            )
        )

    def mark_delivered(self, outbox_id: int | Sequence[int]) -> None:
        """Mark one entry (or several, in one statement) delivered."""
        ids = [outbox_id] if isinstance(outbox_id, int) else list(outbox_id)
        self._conn.execute(
            sa.update(t.outbox)
            .where(t.outbox.c.id.in_(ids))
            .values(delivered_at=utcnow(), attempts=t.outbox.c.attempts + 1)
        )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """Count a failed attempt; the message stays pending."""
        self._conn.execute(
            sa.update(t.outbox)
            .where(t.outbox.c.id == outbox_id)
            .values(attempts=t.outbox.c.attempts + 1, last_error=error)
        )

    def mark_dead(self, outbox_id: int | Sequence[int], error: str) -> None:
        """Count a failed attempt and give the entry (or entries) up: a dead letter, never
        claimed again until :meth:`revive_dead`."""
        ids = [outbox_id] if isinstance(outbox_id, int) else list(outbox_id)
        self._conn.execute(
            sa.update(t.outbox)
            .where(t.outbox.c.id.in_(ids))
            .values(
                attempts=t.outbox.c.attempts + 1,
                last_error=error,
                dead_at=utcnow(),
                not_before=None,
            )
        )

    def revive_dead(self, ids: Sequence[int] | None = None) -> list[int]:
        """Make dead entries (those of ``ids``, or all) pending and due now, with a fresh
        count of attempts (``last_error`` stays until the next try); returns their ids,
        in order. Entries of ``ids`` that are not dead are left as they are."""
        c = t.outbox.c
        stmt = sa.update(t.outbox).where(_state_of(["dead"]))
        if ids is not None:
            stmt = stmt.where(c.id.in_(list(ids)))
        stmt = stmt.values(dead_at=None, not_before=None, attempts=0).returning(c.id)
        return sorted(int(found) for found in self._conn.execute(stmt).scalars())

    def outbox_entries(
        self,
        states: Collection[str] = ("pending", "dead"),
        *,
        ids: Sequence[int] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Entries in one of ``states`` (among ``ids`` if given), oldest first, each row
        with its ``state`` (see :data:`OUTBOX_STATES`)."""
        stmt = sa.select(t.outbox).where(_state_of(states))
        if ids is not None:
            stmt = stmt.where(t.outbox.c.id.in_(list(ids)))
        stmt = stmt.order_by(t.outbox.c.id).limit(limit).offset(offset)
        return [_with_state(dict(row)) for row in self._conn.execute(stmt).mappings()]

    def outbox_depth(self) -> int:
        """How many entries wait to be sent (pending: neither delivered nor dead)."""
        return self._count(["pending"])

    def dead_letter_count(self) -> int:
        """How many entries were given up (dead, until revived)."""
        return self._count(["dead"])

    def _count(self, states: Collection[str]) -> int:
        stmt = sa.select(sa.func.count()).select_from(t.outbox).where(_state_of(states))
        return int(self._conn.execute(stmt).scalar_one())

    def first_time(self, key: str) -> bool:
        """Record ``key``; True the first time it is seen (in this transaction's view:
        a concurrent transaction recording it too waits for this one, then finds it)."""
        stmt = (
            self._insert(t.seen_keys)
            .values(key=key, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[t.seen_keys.c.key])
            .returning(t.seen_keys.c.key)
        )
        return self._conn.execute(stmt).first() is not None
