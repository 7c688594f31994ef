"""What the templates need beyond the service's views, computed once per page in Python
so the templates stay lean: the build diff's rows (searched with ``?q=``), the suspect
lists in matrix order, the gates that block the verdict, and the list's filter values
and paging links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatekeeper.api.web.render import query as encode
from gatekeeper.api.web.render import state_label
from gatekeeper.compose.diff import BuildChange, ComposeDiff
from gatekeeper.errors import InputError
from gatekeeper.model import ComposeState, Verdict
from gatekeeper.service.reads import MAX_LIMIT, MAX_OFFSET, Page
from gatekeeper.service.views import AnswerChange, Cell, ComposeRow, ComposeView, HistoryEntry

STATES = tuple(state.value for state in (
    ComposeState.PROPOSED, ComposeState.PROMOTED, ComposeState.PUBLISHED,
    ComposeState.SUPERSEDED, ComposeState.ANNOUNCED,
))  # fmt: skip
"""The list's state filter, in the order a compose usually goes through them."""

VERDICTS = tuple(v.value for v in (Verdict.PASSED, Verdict.FAILED, Verdict.PENDING))
DEFAULT_LIMIT = 50
CHANGES_SHOWN = 12  # per decision version; the others are counted by transition
SUSPECTS_SHOWN = 10  # per failed gate; the build diff below lists every one
BLOCKERS_SHOWN = 10  # in the verdict's summary; the matrix shows every one
BLOCKING = ("failed", "errored", "overdue")
SYMBOLS = {
    "passed": "\u2713",
    "failed": "\u2717",
    "errored": "!",
    "pending": "\u2026",
    "missing": "?",
    "overdue": "\u231b",
    "waived": "~",
    "ignored": "\u2013",
    "none": "\u00b7",
}
"""The strip ticks' symbols: a shape besides the colour (the word is beside them)."""


@dataclass(frozen=True, slots=True)
class BuildRow:
    """One row of the build diff: ``search`` is what the search box matches (lowercase)."""

    name: str
    change: str
    old: str
    new: str
    note: str
    search: str


@dataclass(frozen=True, slots=True)
class SuspectBuild:
    name: str
    change: str
    text: str


@dataclass(frozen=True, slots=True)
class SuspectList:
    """A failed or errored cell's suspects: ``anchor`` numbers it in matrix order."""

    anchor: int
    cell: Cell
    builds: tuple[SuspectBuild, ...]
    total: int
    more: int


def _changes(diff: ComposeDiff) -> list[tuple[str, BuildChange]]:
    return [
        *(("updated", c) for c in diff.updated),
        *(("added", c) for c in diff.added),
        *(("removed", c) for c in diff.removed),
    ]


def build_rows(diff: ComposeDiff, q: str = "") -> list[BuildRow]:
    """The diff's rows (updated, added, removed; each by name) whose name or NVRs hold
    ``q`` (any case); every row when ``q`` is blank."""
    needle = q.strip().lower()
    rows = []
    for change, item in _changes(diff):
        old, new = ", ".join(item.old), ", ".join(item.new)
        search = f"{item.name} {old} {new}".lower()
        if needle and needle not in search:
            continue
        rows.append(BuildRow(item.name, change, old, new, item.note or "", search))
    return rows


def _suspect(change: str, item: BuildChange) -> SuspectBuild:
    if change == "added":
        text = f"added {', '.join(item.new)}"
    elif change == "removed":
        text = f"removed {', '.join(item.old)}"
    else:
        text = f"{', '.join(item.old)} \u2192 {', '.join(item.new)}"
    return SuspectBuild(item.name, change, text)


def suspect_lists(view: ComposeView) -> list[SuspectList]:
    """The suspects of every failed or errored cell, in the matrix's order (the order in
    which the matrix links them, ``#suspect-1`` first). The builds changed since a compose
    are listed once per compose, however many cells last passed there."""
    lists: list[SuspectList] = []
    since: dict[str | None, tuple[tuple[SuspectBuild, ...], int]] = {}
    for cell in view.matrix.cells:
        if cell.suspects is None or cell.state not in ("failed", "errored"):
            continue
        key = cell.suspects.passed_in
        if key not in since:
            changes = _changes(cell.suspects.changes)
            shown = tuple(_suspect(change, item) for change, item in changes[:SUSPECTS_SHOWN])
            since[key] = (shown, len(changes))
        builds, total = since[key]
        more = max(0, total - len(builds))
        lists.append(SuspectList(len(lists) + 1, cell, builds, total, more))
    return lists


@dataclass(frozen=True, slots=True)
class Blocker:
    """A required answer that fails the verdict (failed, errored or overdue): ``anchor``
    numbers its suspect list (None: it has none, as an overdue answer)."""

    cell: Cell
    anchor: int | None


@dataclass(frozen=True, slots=True)
class Blocking:
    """The first blocking answers, in matrix order, and how many more there are."""

    items: tuple[Blocker, ...]
    more: int


def blockers(view: ComposeView, suspects: Sequence[SuspectList]) -> Blocking:
    """The required answers that make the verdict ``failed``: what the verdict's summary
    names first, each linked to its suspect builds when it has some."""
    anchors = {id(item.cell): item.anchor for item in suspects}
    found = [Blocker(cell, anchors.get(id(cell))) for cell in view.matrix.cells
             if cell.required and cell.state in BLOCKING]  # fmt: skip
    return Blocking(tuple(found[:BLOCKERS_SHOWN]), max(0, len(found) - BLOCKERS_SHOWN))


@dataclass(frozen=True, slots=True)
class Transition:
    """How many answers went from one state to another in a decision version."""

    old: str
    new: str
    count: int


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A decision version as the page lists it: its first changes one by one, and every
    change counted by transition (``missing -> passed: 40``)."""

    entry: HistoryEntry
    changes: tuple[AnswerChange, ...]
    transitions: tuple[Transition, ...]
    more: int


def history_items(view: ComposeView) -> list[HistoryItem]:
    """The compose's history (newest first), each version's changes shortened."""
    items = []
    for entry in view.history:  # the counts are of every change, not only those listed
        counted: Counter[tuple[str, str]] = Counter()
        for t in entry.transitions:
            counted[(state_label(t.old, "new"), state_label(t.new, "gone"))] += t.count
        transitions = tuple(Transition(old, new, n) for (old, new), n in counted.most_common())
        shown = entry.changes[:CHANGES_SHOWN]
        items.append(HistoryItem(entry, shown, transitions, entry.changes_total - len(shown)))
    return items


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The list's filters and paging, as given in the query string ('' or absent: any)."""

    product: str | None
    state: str | None
    verdict: str | None
    limit: int
    offset: int

    def params(self, **changes: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"product": self.product, "state": self.state,
                                  "verdict": self.verdict}  # fmt: skip
        if self.limit != DEFAULT_LIMIT:
            params["limit"] = self.limit
        params.update(changes)
        return params


def _number(value: str | None, key: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"expected a whole number, got {value!r}", key=key) from None
    if not low <= number <= high:
        raise InputError(f"expected {low} to {high}, got {number}", key=key)
    return number


def list_query(params: dict[str, str]) -> ListQuery:
    """Read the list's query string; an unknown state or verdict, or a bad number, is a
    located InputError."""
    state = params.get("state") or None
    if state is not None and state not in STATES:
        raise InputError(f"unknown state {state!r}; expected one of {', '.join(STATES)}",
                         key="state")  # fmt: skip
    verdict = params.get("verdict") or None
    if verdict is not None and verdict not in VERDICTS:
        raise InputError(f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}",
                         key="verdict")  # fmt: skip
    return ListQuery(
        product=params.get("product") or None,
        state=state,
        verdict=verdict,
        limit=_number(params.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_number(params.get("offset"), "offset", 0, 0, MAX_OFFSET),
    )


def paging(query: ListQuery, page: Page[ComposeRow]) -> tuple[str | None, str | None]:
    """The previous and next pages' URLs, keeping the filters (None: no such page)."""
    prev_url = next_url = None
    if query.offset > 0:
        before = max(0, query.offset - query.limit)
        prev_url = "/" + encode(query.params(offset=before or None))
    if page.more:
        next_url = "/" + encode(query.params(offset=query.offset + query.limit))
    return prev_url, next_url


__all__ = [
    "DEFAULT_LIMIT",
    "STATES",
    "SYMBOLS",
    "VERDICTS",
    "Blocker",
    "Blocking",
    "BuildRow",
    "ListQuery",
    "SuspectList",
    "blockers",
    "build_rows",
    "history_items",
    "list_query",
    "paging",
    "suspect_lists",
]
