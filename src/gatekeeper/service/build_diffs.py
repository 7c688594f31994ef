"""Build diffs between two composes, kept for the next page that needs them.

A compose's builds are written once, when it is imported (importing again writes the same
ones), so the diff of two composes never changes once both are imported. The dashboard
shows the same diffs again and again (the compose page against ``main``, each failing
gate's suspects, a live page fetched again on every decision change), so the last
:data:`KEPT` are kept in memory, keyed by both composes' ids and build counts: a compose
announced first and imported later is read again. Nothing here writes the store.
"""

from __future__ import annotations

from gatekeeper.compose.diff import ComposeDiff, diff_builds
from gatekeeper.service.view_cache import Kept
from gatekeeper.store import Tx

KEPT = 64
"""Diffs kept (each is a few hundred changed builds at most, not the builds)."""

Key = tuple[str | None, int, str, int]


class BuildDiffs:
    """The diffs kept, shared by every read of one application (thread-safe)."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept: Kept[Key, ComposeDiff] = Kept(kept)

    def against(self, tx: Tx, compose_id: str) -> DiffsOf:
        """The diffs of one compose against others, read in ``tx``."""
        return DiffsOf(self, tx, compose_id)


class DiffsOf:
    """What changed from other composes to one compose."""

    def __init__(self, diffs: BuildDiffs, tx: Tx, compose_id: str) -> None:
        self._diffs = diffs
        self._tx = tx
        self.compose_id = compose_id
        self._count: int | None = None

    def since(self, old_id: str | None) -> ComposeDiff:
        """The builds changed from ``old_id`` (None: nothing, as an empty ``main``)."""
        if self._count is None:
            self._count = self._tx.build_count(self.compose_id)
        old_count = self._tx.build_count(old_id) if old_id is not None else 0
        key = (old_id, old_count, self.compose_id, self._count)
        found = self._diffs.kept.get(key)
        if found is None:
            if old_id is None:
                found = diff_builds([], self._tx.builds_for(self.compose_id))
            else:  # only the names whose builds differ are read
                found = diff_builds(*self._tx.builds_differing(old_id, self.compose_id))
            self._diffs.kept.put(key, found)
        return found
