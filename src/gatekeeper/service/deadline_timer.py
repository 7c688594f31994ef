"""Time moves the gate: a thread that re-decides open composes at their deadline instants.

A gate's deadline counts from the compose's announcement; once its instant has passed, a
result still missing makes the gate overdue (it blocks) or, with ``on_missing: ignore``,
no longer waited for, and the verdict, and so the promotion, can change with nobody
reporting or reading anything. :class:`DeadlineTimer` is what makes that happen on time:

- it sleeps until the earliest deadline instant of an open compose that was not acted on
  yet (``next_deadline``), plus a millisecond, since a gate is late only once the clock is
  past its instant, and never longer than a re-check period (30 s by default), so the
  deadlines of composes announced by other processes are picked up too;
- :meth:`DeadlineTimer.wake` makes it look now (the facade, which holds the application's
  timer as ``deadline_timer``, calls it after announcing a compose);
- it then calls ``act`` (the facade's ``act_on_deadlines``), which re-decides and records,
  under each compose's row lock, every compose whose instant has passed: with several
  processes on one PostgreSQL database each deadline gives one decision version and one
  promotion, whichever process gets there first;
- it logs one ``action=deadline compose=<id>`` line per compose acted on;
- an exception is logged and never stops it: it tries again after 2, 4, 8 ... seconds
  (at most the period);
- :meth:`DeadlineTimer.stop` ends it promptly, even in the middle of a long wait.

``gatekeeper serve`` starts it (unless ``--no-timer``), as does the bus consumer (unless its
``deadline_timer = false``). Like the outbox dispatcher, it is a daemon thread started and
stopped by the long-running process; it knows no SQL, only the two callables it is given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from gatekeeper.timeutil import utcnow

log = logging.getLogger("gatekeeper.deadlines")

PERIOD = 30.0
"""Seconds between two looks when no known deadline comes sooner."""
LATE_BY = timedelta(milliseconds=1)
"""How far past a deadline instant the timer acts: a gate is late once the clock is past it."""
STILL_DUE_WAIT = 1.0
"""Seconds before looking again at a deadline that was due when a round acted and still is
after it (acting on it failed), doubled each time it still is."""


class DeadlineTimer:
    """Calls ``act`` at each instant ``next_deadline`` names, in a background thread.

    ``next_deadline``: the earliest deadline instant not acted on yet (None: none);
    ``act``: act on every deadline passed, returning the ids of the composes re-decided;
    ``clock``: the time the instants are compared with (the application's clock).
    """

    def __init__(
        self,
        next_deadline: Callable[[], datetime | None],
        act: Callable[[], Sequence[str]],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._next_deadline = next_deadline
        self._act = act
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._still_due = 0  # rounds in a row that found the next deadline passed already

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, period: float = PERIOD) -> None:
        """Run in a daemon thread until :meth:`stop`, looking at least every ``period``
        seconds. Starting a running timer does nothing."""
        if period <= 0:
            raise ValueError(f"the re-check period must be more than 0 s, got {period!r}")
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(period,), name="gatekeeper-deadlines", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Look now rather than at the end of the wait (a compose was announced)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread, waiting at most ``timeout`` seconds for an action under way."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def run_once(self) -> list[str]:
        """Act on the deadlines passed now, logging each compose acted on; their ids."""
        acted = list(self._act())
        for compose_id in acted:
            log.info("action=deadline compose=%s", compose_id)
        return acted

    def wait_for(self, period: float, acted_at: datetime | None = None) -> float:
        """Seconds to sleep before the next deadline instant is past (at most ``period``);
        ``acted_at``: when the round that just ended started acting."""
        instant = self._next_deadline()
        if instant is None:
            self._still_due = 0
            return period
        seconds = (instant + LATE_BY - self._clock()).total_seconds()
        if seconds > 0:
            self._still_due = 0
            return min(period, seconds)
        if acted_at is None or instant >= acted_at:  # it came due during the round: act now
            self._still_due = 0
            return 0.0
        # due before the round, yet not acted on (acting on it failed): look again soon,
        # then less and less often while it stays so, never spinning
        wait = min(period, STILL_DUE_WAIT * 2.0**self._still_due)
        self._still_due += 1
        log.debug("deadline %s still due after acting: looking again in %.1f s", instant, wait)
        return wait

    def _loop(self, period: float) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                acted_at = self._clock()
                self.run_once()
                wait = self.wait_for(period, acted_at)
                failures = 0
            except Exception:  # the store is down, a bug: say so, and try again later
                failures += 1
                wait = min(period, 2.0**failures)
                log.exception(
                    "deadline timer: round failed (%d in a row); trying again in %.0f s",
                    failures, wait,
                )  # fmt: skip
            if self._stop.is_set():
                break
            self._wake.wait(wait)
            self._wake.clear()  # before the next look: a later wake() is never lost
