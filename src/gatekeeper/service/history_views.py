"""A compose's decision history laid out for people: what changed between two decision
versions (each answer's type by requirement, compared), and a sentence of each version's
cause. Pure: values in, values out (:class:`ChangeTracker` replays stored version rows
handed to it; it reads nothing itself)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gatekeeper.model import Verdict
from gatekeeper.service.views import AnswerChange, HistoryEntry, Transition
from gatekeeper.store.decision_history import Replayer

AnswerKey = tuple[str, str, str | None, str | None]
AnswerTypes = dict[AnswerKey, Any]  # the type, or a sorted tuple of them for a repeated key
Changes = tuple[tuple[AnswerChange, ...], int, tuple[Transition, ...]]


def _text(kind: Any) -> str | None:
    return ", ".join(kind) if isinstance(kind, tuple) else kind


CHANGES_KEPT = 200
"""Changed answers a history entry lists one by one; all are counted in its transitions."""


def answer_changes(old: AnswerTypes | None, new: AnswerTypes) -> Changes:
    """The answers whose type differs between two decisions' answer types (each answer's
    type by team, testcase, scenario and arch; a sorted tuple of types where several
    answers share them; ``old`` None: every answer is new): the first
    :data:`CHANGES_KEPT`, how many there are, and their count per (old, new) type. Two
    answers with one key (gates on the same testcase without scenario or arches) show
    their types together."""
    before = old or {}
    changed = [key for key, kind in new.items() if before.get(key) != kind]
    changed += [key for key in before if key not in new]
    counts = Counter((_text(before.get(key)), _text(new.get(key))) for key in changed)
    transitions = tuple(
        Transition(old_type, new_type, n)
        for (old_type, new_type), n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    )
    changed.sort(key=lambda k: (k[0], k[1], k[2] or "", k[3] or ""))
    kept = tuple(
        AnswerChange(*key, _text(before.get(key)), _text(new.get(key)))
        for key in changed[:CHANGES_KEPT]
    )
    return kept, len(changed), transitions


def cause_text(cause: Mapping[str, Any] | None) -> str:
    """A sentence saying what made a decision version."""
    if not cause:
        return "decided"
    if cause.get("clock"):
        return "time passed (a deadline, or a waiver or known issue expired)"
    if cause.get("announced"):
        return "announced"
    if cause.get("policies"):
        return "the policies changed"
    if "waiver" in cause:
        what = "waiver" if cause.get("waived", True) else "waiver revoked"
        who = f" by {cause['by']}" if cause.get("by") else ""
        return f"{what} #{cause['waiver']}{who}"
    who = f" by {cause['by']}" if cause.get("by") else ""
    if "rerun" in cause:
        return f"rerun request #{cause['rerun']}{who}"
    if "known_issue" in cause:
        done = "closed" if cause.get("closed") else "added"
        return f"known issue #{cause['known_issue']} {done}{who}"
    if "results" in cause:
        ids = [str(rid) for rid in cause.get("results") or ()]
        count = int(cause.get("count") or len(ids))
        noun = "result" if count == 1 else "results"
        shown = ", ".join(f"#{rid}" for rid in ids[:5]) + (", ..." if len(ids) > 5 else "")
        who = f" from {cause['reporter']}" if cause.get("reporter") else ""
        return f"{count} {noun}{who}" + (f" ({shown})" if shown else "")
    return ", ".join(f"{key}: {value}" for key, value in sorted(cause.items()))


def history_entry(
    row: Mapping[str, Any],
    changes: tuple[tuple[AnswerChange, ...], int, tuple[Transition, ...]] | None,
) -> HistoryEntry:
    """A history entry of a stored decision row, with its changes when they are known
    (:func:`answer_changes` against the version before it)."""
    kept, total, transitions = changes if changes is not None else ((), 0, ())
    return HistoryEntry(
        version=int(row["version"]),
        verdict=Verdict(row["verdict"]),
        summary=row["summary"],
        evaluated_at=row["evaluated_at"],
        recorded_at=row.get("created_at"),
        changes=kept,
        cause=dict(row["cause"]) if row.get("cause") else None,
        cause_text=cause_text(row.get("cause")),
        changes_shown=changes is not None,
        changes_total=total,
        transitions=transitions,
    )


def _key(answer: Mapping[str, Any]) -> AnswerKey:
    return (answer["team"], answer["testcase"], answer.get("scenario"), answer.get("arch"))


class ChangeTracker(Replayer):
    """Replays a compose's stored decision versions (the store's :class:`Replayer`, handed
    to :meth:`~gatekeeper.store.Tx.replayed`) and keeps, for each version it goes through
    after the first, what changed since the version before (:func:`answer_changes`) in
    :attr:`changes`, without putting any version's whole decision together: a version row
    replaces the answer objects it changes (a snapshot replaces all of them), so only the
    types of those are compared; :attr:`touched` holds the testcases whose answers each
    version changed. Kept between pages, it goes on from the version it stands at: a new
    version costs its own row."""

    def __init__(self, compose_id: str) -> None:
        super().__init__(compose_id)
        self.changes: dict[int, Changes] = {}
        self.touched: dict[int, frozenset[str]] = {}
        self._types: dict[int, str] = {}  # by ordinal, as of ``version``
        self._keys: dict[int, AnswerKey] = {}
        self._ordinals: dict[AnswerKey, list[int]] = {}

    def _combined(self, key: AnswerKey) -> Any:
        kinds = sorted(self._types[n] for n in self._ordinals[key])
        return kinds[0] if len(kinds) == 1 else tuple(kinds)

    def _typed(self, keys: Iterable[AnswerKey]) -> AnswerTypes:
        return {key: self._combined(key) for key in keys if self._ordinals.get(key)}

    def apply(
        self, rows: Iterable[Mapping[str, Any]], wanted: set[int] | None = None
    ) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Apply the rows one by one, noting each version's changes; no version's JSON is
        put together (nothing is yielded)."""
        for row in rows:
            previous = self.version
            before = dict(self.answers)
            for _ in super().apply([row], set()):
                pass  # nothing is wanted: the row is applied, no payload is made
            after = self.answers
            touched = [n for n, a in after.items() if before.get(n) is not a]
            touched += [n for n in before if n not in after]
            keys = {self._keys[n] for n in touched if n in self._keys}
            keys.update(_key(after[n]) for n in touched if n in after)
            old = self._typed(keys)
            for n in touched:
                if n in self._keys:
                    self._ordinals[self._keys.pop(n)].remove(n)
                    del self._types[n]
                if n in after:
                    key = self._keys[n] = _key(after[n])
                    self._ordinals.setdefault(key, []).append(n)
                    self._types[n] = after[n]["type"]
            if self.version == 1 or previous == self.version - 1:
                self.changes[self.version] = answer_changes(
                    old if self.version > 1 else None, self._typed(keys)
                )
                self.touched[self.version] = frozenset(key[1] for key in keys)
        return iter(())
