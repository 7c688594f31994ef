"""What the dashboard keeps between pages: values derived from rows that never change.

A stored decision version is never rewritten (a change is a new version), so what is
derived from version N of a compose's decision (its answers paired with the gates, what
changed since version N-1) is the same for every page that shows it: a page of the same
version, or of a newer one listing N in its history, reuses it instead of decoding and
comparing thousands of answers again. Entries are bounded (least recently used first
out) and shared by the threads serving pages; nothing here is ever written to the store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` values by key, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def take(self, key: K) -> V | None:
        """The value of ``key``, no longer kept (a value one reader at a time may use)."""
        with self._lock:
            return self._values.pop(key, None)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
