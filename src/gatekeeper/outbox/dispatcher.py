"""The dispatcher: sends what committed transactions owe, exactly once across processes.

Every change a plugin must hear about is written to the store's outbox in the transaction
that makes it (:class:`Owed`). A :class:`Dispatcher` claims due entries oldest first, calls
the handler registered for the entry's kind, and marks the entry delivered. The store makes
a claim exclusive on every dialect (:meth:`gatekeeper.store.Store.claim_outbox`): two
dispatchers never send one entry, and a crash before the entry is marked leaves it pending
(sent again later: never lost).

When a handler raises, the entry keeps the reason (``last_error``) and the count
(``attempts``), and one rule says whether it is worth another try:

- **dead at once** when the handler raised :class:`Undeliverable` (an unknown hook, a
  malformed payload, a compose that is gone) or a
  :class:`~gatekeeper.errors.GatekeeperError` that is not :class:`~gatekeeper.errors.Unavailable`
  (nor a transient :class:`~gatekeeper.errors.FetchError`): a user's error, such as
  ``NoPolicyApplies`` for a compose no policy gates or a plugin's ``ConfigError``, which
  trying again cannot change;
- **due again** after an exponential backoff (:func:`backoff`: 2, 4, 8 ... s, at most
  10 min) for any other exception (a forge or a bus down, a bug), and for ``Unavailable``;
- **dead** when its ``MAX_ATTEMPTS``-th attempt (20, about two hours of retrying) fails too.

A dead entry (a *dead letter*) is never claimed again: it is logged, counted by
``/metrics`` (``gatekeeper_outbox_dead_letters``), listed by ``gatekeeper outbox list
--dead``, and brought back, once its cause is fixed (a policy added, a setting corrected),
by ``gatekeeper outbox retry ID... | --all-dead``, with a fresh count of attempts.

A kind registered with ``batch=True`` (the service's ``redecide``) is claimed with every
other pending entry of its compose, and handled once for all of them.

Where it runs: in ``serve`` and in the bus consumer as a background thread; there a
request thread only commits and wakes it (:meth:`Dispatcher.after_commit`), so a slow
forge never slows an upload. Without the thread (the CLI, scripts, tests) the entries a
commit made are sent at once, in the caller's thread, so a script sees its side effects
before it exits. Starting the thread claims the store's single writer on SQLite
(:meth:`gatekeeper.store.Store.claim_single_writer`): one long-running process per file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import GatekeeperError, Unavailable
from gatekeeper.outbox.codec import encode_arguments

if TYPE_CHECKING:
    from gatekeeper.model import Compose
    from gatekeeper.store import Listener, Store, Tx

log = logging.getLogger("gatekeeper.dispatch")

MAX_BACKOFF = timedelta(minutes=10)
MAX_ATTEMPTS = 20
"""Attempts after which an entry still failing goes dead (the backoff makes this about
two hours)."""

Handler = Callable[[Sequence[Mapping[str, Any]]], None]
"""Sends one claimed entry (or, for a batched kind, every claimed entry of one compose);
raises to have them retried later, or given up (the rule in this module's docstring)."""


class Undeliverable(Exception):
    """An entry that cannot be sent as it is (an unknown hook, a malformed payload): it
    goes dead at once, its text the reason kept with the entry."""


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying cannot help: :class:`Undeliverable`, or a user's error (a
    :class:`~gatekeeper.errors.GatekeeperError` other than ``Unavailable`` and a
    transient ``FetchError``)."""
    if isinstance(exc, Undeliverable):
        return True
    if isinstance(exc, GatekeeperError):
        return not isinstance(exc, Unavailable) and not getattr(exc, "transient", False)
    return False


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 2, 4, 8 ... s, at most 10 min."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 20)), MAX_BACKOFF)


@dataclass
class Owed:
    """The outbox entries one transaction wrote; :meth:`Dispatcher.after_commit` sends them."""

    ids: list[int] = field(default_factory=list)

    def add(self, tx: Tx, kind: str, compose: Compose | None, **kwargs: Any) -> None:
        """Owe ``kind(app=..., compose=compose, **kwargs)``, in the caller's transaction."""
        compose_id = None if compose is None else compose.id
        payload = encode_arguments(compose_id, kwargs)
        self.ids.append(tx.enqueue(kind, payload, compose_id=compose_id))


class Dispatcher:
    """Sends the outbox of one store through the handlers registered for its kinds."""

    def __init__(
        self,
        store: Store,
        *,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.lease = lease
        self.max_attempts = max_attempts
        self.inline = True  # send a commit's entries in the caller's thread when not running
        self._handlers: dict[str, Handler] = {}
        self._batched: set[str] = set()
        self._default: Handler | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, kind: str, handler: Handler, *, batch: bool = False) -> None:
        """Send entries of ``kind`` with ``handler`` (``batch``: all of a compose at once)."""
        self._handlers[kind] = handler
        if batch:
            self._batched.add(kind)

    def register_default(self, handler: Handler) -> None:
        """Send entries of every kind no handler is registered for (the plugin hooks)."""
        self._default = handler

    # -- sending -------------------------------------------------------------------------
    def after_commit(self, owed: Owed) -> None:
        """A transaction that wrote ``owed`` committed: send those entries now when this is
        the dispatcher's own thread (a handler's transaction: its hook calls go out right
        after it, not behind the backlog) or when no loop runs here (unless :attr:`inline`
        is off); from any other thread only wake the loop."""
        if owed.ids:
            if self._in_loop():
                self.deliver(owed.ids)
            elif self.running:
                self.wake()
            elif self.inline:
                self.deliver(owed.ids)
        owed.ids.clear()

    def _in_loop(self) -> bool:
        thread = self._thread
        return thread is not None and thread.ident == threading.get_ident()

    def deliver(self, ids: Sequence[int] | None = None, *, limit: int = 100) -> int:
        """Send up to ``limit`` due entries (only ``ids`` if given); returns how many were
        sent (delivered or failed). Entries another dispatcher holds are left to it."""
        wanted = list(ids) if ids is not None else None
        sent = 0
        while sent < limit:
            done = self._deliver_one(wanted)
            if not done:
                break
            sent += 1
            if wanted is not None:
                wanted = [i for i in wanted if i not in done]
        return sent

    def run_once(self, limit: int = 100) -> int:
        """Send what is due now; returns how many entries were sent."""
        return self.deliver(None, limit=limit)

    def _deliver_one(self, ids: list[int] | None) -> list[int]:
        with self.store.claim_outbox(ids=ids, lease=self.lease, batched=self._batched) as claim:
            if claim is None:
                return []
            failure = self._send(claim.rows)
            if failure is None:
                claim.delivered()
            elif failure[1]:
                claim.dead(failure[0])
            else:
                claim.retry(failure[0], backoff, max_attempts=self.max_attempts)
            return [int(row["id"]) for row in claim.rows]

    def _send(self, rows: Sequence[Mapping[str, Any]]) -> tuple[str, bool] | None:
        """Send ``rows``: None, or the error kept with them and whether it is permanent."""
        first = rows[0]
        handler = self._handlers.get(first["kind"], self._default)
        try:
            if handler is None:
                raise Undeliverable(f"no handler for {first['kind']}")
            handler(rows)
        except Exception as exc:  # a plugin's failure must not undo a committed change
            error = str(exc) if isinstance(exc, Undeliverable) else f"{type(exc).__name__}: {exc}"
            attempts = int(first["attempts"]) + 1
            permanent = is_permanent(exc)
            if permanent or attempts >= self.max_attempts:
                log.error(
                    "outbox entry dead: ids=%s kind=%s compose=%s attempts=%s error=%s; "
                    "once the cause is fixed: gatekeeper outbox retry %s",
                    [r["id"] for r in rows], first["kind"], first["compose_id"], attempts,
                    error, " ".join(str(r["id"]) for r in rows),
                )  # fmt: skip
            else:
                log.warning(
                    "outbox send failed: id=%s kind=%s compose=%s attempts=%s error=%r",
                    first["id"], first["kind"], first["compose_id"], attempts, exc,
                )  # fmt: skip
            return error, permanent
        log.debug("outbox sent: ids=%s kind=%s compose=%s", [r["id"] for r in rows],
                  first["kind"], first["compose_id"])  # fmt: skip
        return None

    # -- the background loop ------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, interval: float = 1.0) -> None:
        """Send due entries every ``interval`` seconds in a daemon thread until :meth:`stop`.
        A long-running process: on SQLite it must be the file's only one (a ConfigError
        naming the other otherwise, see :meth:`gatekeeper.store.Store.claim_single_writer`)."""
        if self._thread is not None:
            return
        self.store.claim_single_writer()
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
        listener = self.store.outbox_listener()
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

    def _idle(self, interval: float, listener: Listener | None) -> None:
        """Wait until the interval ends, :meth:`wake` is called, or (where the store can
        say so) any process commits an outbox entry."""
        if listener is None:
            self._wake.wait(interval)
        else:
            listener.wait_until(interval, self._wake)
        self._wake.clear()
