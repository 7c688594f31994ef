"""The outbox as operators see it: what is owed, what was given up, and dead letters
brought back once their cause is fixed (``gatekeeper outbox``, ``/metrics``).

An entry is ``pending`` (to be sent, now or after its backoff), ``dead`` (given up by the
dispatcher, see :mod:`gatekeeper.outbox.dispatcher`) or ``delivered``. Retrying makes dead
entries pending again with a fresh count of attempts, and sends them at once where no
dispatcher loop runs (the CLI), so the caller sees whether the cause is really fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from gatekeeper.errors import InputError, NotFound
from gatekeeper.outbox import Owed
from gatekeeper.service.context import Context
from gatekeeper.service.reads import Page, check_paging
from gatekeeper.store.outbox import OUTBOX_STATES

LISTED_BY_DEFAULT = ("pending", "dead")


def entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox row as operators see it (never its payload)."""
    pending = row["state"] == "pending"
    return {
        "id": row["id"],
        "kind": row["kind"],
        "compose": row["compose_id"],
        "state": row["state"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "created_at": row["created_at"],
        "next_try": row["not_before"] if pending else None,
        "dead_at": row["dead_at"],
        "delivered_at": row["delivered_at"],
    }


def _plural(ids: Sequence[int], one: str, many: str) -> str:
    listed = ", ".join(str(i) for i in ids)
    return f"outbox entry {listed} {one}" if len(ids) == 1 else f"outbox entries {listed} {many}"


class OutboxEntries:
    """Lists the outbox's entries, counts them by state, and retries dead ones."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def entries(
        self,
        *,
        states: Collection[str] = LISTED_BY_DEFAULT,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[dict[str, Any]]:
        """Entries in one of ``states``, oldest first (see :func:`entry`)."""
        check_paging(limit, offset)
        unknown = sorted(set(states) - set(OUTBOX_STATES))
        if unknown:
            raise InputError(f"expected some of {', '.join(OUTBOX_STATES)}", key="state")
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.outbox_entries(states, limit=limit + 1, offset=offset)
        return Page([entry(row) for row in rows[:limit]], limit, offset, len(rows) > limit)

    def counts(self) -> dict[str, int]:
        """How many entries are ``pending`` (the outbox's depth) and ``dead``."""
        with self.ctx.store.transaction(readonly=True) as tx:
            return {"pending": tx.outbox_depth(), "dead": tx.dead_letter_count()}

    def retry(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Bring dead entries back (those of ``ids``, or every one), then send them where
        no dispatcher loop runs; returns them as they are now, oldest first. An id that
        does not exist (NotFound) or names an entry that is not dead (InputError) changes
        nothing."""
        wanted = None if ids is None else sorted(set(ids))
        if wanted == []:
            raise InputError("give outbox entry ids, or retry every dead one")
        with self.ctx.store.transaction() as tx:
            if wanted is not None:
                rows = tx.outbox_entries(OUTBOX_STATES, ids=wanted, limit=len(wanted))
                missing = sorted(set(wanted) - {row["id"] for row in rows})
                if missing:
                    raise NotFound(_plural(missing, "does not exist", "do not exist"))
                live = [row for row in rows if row["state"] != "dead"]
                if live:
                    what = _plural([row["id"] for row in live],
                                   f"is {live[0]['state']}, not dead", "are not dead")  # fmt: skip
                    raise InputError(f"{what}: only dead entries are retried")
            revived = tx.revive_dead(wanted)
        if not revived:
            return []
        self.ctx.dispatcher.after_commit(Owed(list(revived)))
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.outbox_entries(OUTBOX_STATES, ids=revived, limit=len(revived))
        return [entry(row) for row in rows]
