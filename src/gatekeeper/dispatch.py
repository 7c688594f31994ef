"""The outbox dispatcher: sends the hook calls that committed transactions owe.

Every change a plugin must hear about (a decision, a promotion, an MR) is written to the
store's ``outbox`` in the transaction that makes it (``gatekeeper.events``). A
:class:`Dispatcher` takes due entries oldest first, calls the hook they name, and marks
each delivered; a hook that raises leaves its entry pending, retried with exponential
backoff (``last_error`` and ``attempts`` say why and how often). It runs in ``serve``, in
the bus consumer, and right after each commit for the entries that commit made.

One kind is the core's own: ``redecide`` (results stored by ``record_results`` wait for a
decision). The dispatcher claims every pending ``redecide`` of the compose at once and
decides once for all of them, so a stream of results costs a decision per burst, not
per result.

Exactly once across processes: on PostgreSQL the entry's row is locked ``FOR UPDATE SKIP
LOCKED`` while its hook runs and is marked delivered in that same transaction, so two
dispatchers never send one entry, and a crash before the commit leaves it pending (it is
sent again after restart: at least once, never lost). On SQLite a claim is a lease
(``not_before``) taken in a ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from gatekeeper.deciding import REDECIDE, merge_causes
from gatekeeper.model import Decision
from gatekeeper.store import Tx
from gatekeeper.store.outbox import OUTBOX_CHANNEL

log = logging.getLogger("gatekeeper.dispatch")

MAX_BACKOFF = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 2, 4, 8 ... s, at most 10 min."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 20)), MAX_BACKOFF)


class Dispatcher:
    """Sends the outbox of ``app`` (a :class:`gatekeeper.service.Gatekeeper`)."""

    def __init__(self, app: Any, *, lease: timedelta = timedelta(minutes=5)) -> None:
        self.app = app
        self.lease = lease
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- sending -------------------------------------------------------------------------
    def deliver(self, ids: Sequence[int] | None = None, *, limit: int = 100) -> int:
        """Send up to ``limit`` due entries (only ``ids`` if given); returns how many were
        sent (delivered or failed). Entries another dispatcher holds are left to it."""
        ids = list(ids) if ids is not None else None
        sent = 0
        while sent < limit:
            done = self._deliver_one(ids)
            if done is None:
                break
            sent += 1
            if ids is not None:
                ids.remove(done)
        return sent

    def run_once(self, limit: int = 100) -> int:
        """Send what is due now; returns how many entries were sent."""
        return self.deliver(None, limit=limit)

    def _deliver_one(self, ids: list[int] | None) -> int | None:
        store = self.app.store
        if store.dialect == "postgresql":  # the row locks are held while sending
            with store.transaction() as tx:
                rows = self._claim(tx, ids)
                if not rows:
                    return None
                error = self._send(rows[0], self._call(tx, rows))
                self._finish(tx, rows, error)
            return int(rows[0]["id"])
        with store.transaction() as tx:  # SQLite: a lease, committed before sending
            rows = self._claim(tx, ids)
            if not rows:
                return None
            call = self._call(tx, rows)
        error = self._send(rows[0], call)
        with store.transaction() as tx:
            self._finish(tx, rows, error)
        return int(rows[0]["id"])

    def _claim(self, tx: Tx, ids: list[int] | None) -> list[dict[str, Any]]:
        """The next due entry; for a ``redecide``, with every other pending one of its
        compose (one decision covers them all: it reads every committed result)."""
        row = tx.claim_outbox(ids=ids, lease=self.lease)
        if row is None:
            return []
        if row["kind"] != REDECIDE:
            return [row]
        return [row, *tx.claim_siblings(row, lease=self.lease)]

    def _call(self, tx: Tx, rows: list[dict[str, Any]]) -> Callable[[], object] | str:
        """What sending the entries does, rebuilt from them (or why it cannot be)."""
        row = rows[0]
        payload = row["payload"]
        if row["kind"] == REDECIDE:
            cause = merge_causes([r["payload"] for r in rows])
            return lambda: self.app.redecide(payload["compose"], cause)
        hook = getattr(self.app.pm.hook, row["kind"], None)
        if hook is None:
            return f"no such hook: {row['kind']}"
        arguments: dict[str, Any] = {}
        try:
            for name in hook.spec.argnames if hook.spec else ():
                if name == "app":
                    arguments[name] = self.app
                elif name == "compose":
                    compose = tx.get_compose(payload["compose"])
                    if compose is None:
                        return f"compose {payload['compose']} is not known"
                    arguments[name] = compose
                elif name in ("new", "decision"):
                    arguments[name] = Decision.from_json(payload["decision"])
                else:  # old, merge_request, version, forge, event: as written
                    arguments[name] = payload.get(name)
        except (KeyError, TypeError, ValueError) as exc:
            return f"malformed outbox payload for {row['kind']}: {type(exc).__name__}: {exc}"
        return lambda: hook(**arguments)

    def _send(self, row: Mapping[str, Any], call: Callable[[], object] | str) -> str | None:
        if isinstance(call, str):
            return call
        try:
            call()
        except Exception as exc:  # a plugin's failure must not undo a committed change
            log.warning(
                "outbox send failed: id=%s kind=%s compose=%s attempts=%s error=%r",
                row["id"], row["kind"], row["compose_id"], row["attempts"] + 1, exc,
            )  # fmt: skip
            return f"{type(exc).__name__}: {exc}"
        return None

    def _finish(self, tx: Tx, rows: list[dict[str, Any]], error: str | None) -> None:
        if error is None:
            tx.mark_delivered([row["id"] for row in rows])
            log.debug("outbox sent: ids=%s kind=%s compose=%s", [r["id"] for r in rows],
                      rows[0]["kind"], rows[0]["compose_id"])  # fmt: skip
            return
        for row in rows:
            tx.retry_later(row["id"], error, backoff(int(row["attempts"])))

    # -- the background loop ------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        """Send due entries every ``interval`` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="gatekeeper-dispatcher", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now rather than at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self, interval: float) -> None:
        listener = _Listener(self.app.store) if self.app.store.dialect == "postgresql" else None
        try:
            while not self._stop.is_set():
                try:
                    while self.run_once() and not self._stop.is_set():
                        pass
                except Exception:  # the store is down: say so, and try again next round
                    log.exception("outbox dispatcher: round failed")
                self._idle(interval, listener)
        finally:
            if listener is not None:
                listener.close()

    def _idle(self, interval: float, listener: _Listener | None) -> None:
        """Wait until the interval ends, :meth:`wake` is called, or (PostgreSQL) any
        process commits an outbox entry."""
        if listener is None:
            self._wake.wait(interval)
        else:
            deadline = time.monotonic() + interval
            while not self._wake.is_set() and (left := deadline - time.monotonic()) > 0:
                if listener.wait(min(left, 0.2)):
                    break
        self._wake.clear()


class _Listener:
    """``LISTEN`` on the outbox's channel: every commit that enqueues, in any process,
    notifies it (``OutboxQueries.enqueue``), so a dispatcher sends at once rather than
    at the end of its interval."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.conn: Any = None

    def wait(self, timeout: float) -> bool:
        """True if a notification came within ``timeout`` seconds."""
        try:
            if self.conn is None:
                raw = self.store.engine.raw_connection()
                raw.detach()  # its own connection, never back in the pool
                self.conn = raw.driver_connection
                self.conn.autocommit = True
                self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
            return any(True for _ in self.conn.notifies(timeout=timeout, stop_after=1))
        except Exception:  # the store is down: fall back to the interval
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


def dispatcher_for(app: Any) -> Dispatcher:
    """The application's own dispatcher (made once)."""
    found = getattr(app, "_dispatcher", None)
    if found is None:
        found = Dispatcher(app)
        app._dispatcher = found
    return found
