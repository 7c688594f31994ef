"""Fault injection and the request log.

A fault is queued for a (method, path pattern) and consumed by the next matching requests, in
the order the faults were added. The path pattern is a regular expression matched in full
against the request path below ``/api/v4`` (``/projects/1/merge_requests/2/notes``), without
the query string; ``method`` is an HTTP verb or ``*``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["error", "rate_limit", "delay", "drop_response"]


@dataclass
class Fault:
    """What to do to matching requests, ``times`` times.

    - ``error``: answer ``status`` (default 500) with GitLab's error body, nothing applied;
    - ``rate_limit``: answer 429 with ``Retry-After: retry_after``, nothing applied;
    - ``delay``: sleep ``seconds`` before handling (longer than the client's timeout, the
      client gives up while the server still applies the request afterwards);
    - ``drop_response``: apply the request, then close the connection without answering.
    """

    kind: FaultKind
    method: str = "*"
    path: str = ".*"
    times: int = 1
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake received, as answered (``status`` 0: the response was dropped)."""

    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int
    user: str | None
    fault: FaultKind | None = None


@dataclass
class Faults:
    """The fault queue. Thread-safe; :meth:`take` is called once per request."""

    queue: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.queue.append(fault)
        return fault

    def error(self, method: str, path: str, *, status: int = 500, times: int = 1) -> Fault:
        """The next ``times`` matching requests answer ``status`` (5xx, 4xx, whatever)."""
        return self.add(Fault("error", method, path, times=times, status=status))

    def rate_limit(self, method: str, path: str, *, retry_after: int = 1, times: int = 1) -> Fault:
        """The next ``times`` matching requests answer 429 with ``Retry-After``."""
        return self.add(Fault("rate_limit", method, path, times=times, retry_after=retry_after))

    def delay(self, method: str, path: str, *, seconds: float, times: int = 1) -> Fault:
        """The next ``times`` matching requests are handled ``seconds`` late."""
        return self.add(Fault("delay", method, path, times=times, seconds=seconds))

    def drop_response(self, method: str, path: str, *, times: int = 1) -> Fault:
        """The next ``times`` matching requests are applied, and their response is lost."""
        return self.add(Fault("drop_response", method, path, times=times))

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.queue:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.hits >= fault.times:
                        self.queue.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults not yet used up."""
        with self.lock:
            return list(self.queue)

    def clear(self) -> None:
        with self.lock:
            self.queue.clear()
