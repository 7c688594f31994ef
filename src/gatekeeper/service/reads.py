"""Queries that change nothing (listing, filtering, paging) for the HTTP API and the CLI.

Pages are ``limit`` items from ``offset``; a page says whether another one follows (one
row more than asked for is read to know). Unknown composes raise NotFound, bad paging or
filter values a located InputError. Every read runs in a read-only transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gatekeeper.compose.diff import ComposeDiff, diff_builds
from gatekeeper.errors import InputError
from gatekeeper.model import Build, ComposeState, Outcome, Result
from gatekeeper.service.context import Context, unknown
from gatekeeper.store import Tx

T = TypeVar("T")

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1  # any store's integers hold it; no compose has that many rows
RESULT_FILTERS = ("testcase", "outcome", "arch", "scenario", "variant", "reporter")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items, where it starts, and whether more follow."""

    items: list[T]
    limit: int
    offset: int
    more: bool

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.more else None


@dataclass(frozen=True)
class GateView:
    """What a compose's merge request should show: the compose's row, its merge request's
    record and its latest decision (``None`` before the first)."""

    compose: dict[str, Any]
    merge_request: dict[str, Any] | None
    decision: dict[str, Any] | None
    version: int | None


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"expected 1 to {MAX_LIMIT}, got {limit}", key="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise InputError(f"expected 0 to {MAX_OFFSET}, got {offset}", key="offset")


def _page(rows: list[T], limit: int, offset: int) -> Page[T]:
    return Page(rows[:limit], limit, offset, len(rows) > limit)


def compose_row(tx: Tx, compose_id: str) -> dict[str, Any]:
    row = tx.compose_row(compose_id)
    if row is None:
        raise unknown(compose_id)
    return row


class Reads:
    """Composes, merge requests, results and the store's counts, as they are now."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def compose_list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        state: str | None = None,
        product: str | None = None,
    ) -> Page[dict[str, Any]]:
        """Composes, newest first, each with its latest ``verdict`` and ``summary``."""
        check_paging(limit, offset)
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.compose_page(limit=limit + 1, offset=offset, state=state, product=product)
        return _page(rows, limit, offset)

    def compose_rows(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """The newest composes' rows (``gatekeeper compose list``)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.list_composes(limit=limit)

    def compose_info(self, compose_id: str) -> dict[str, Any]:
        """The compose's row with its latest ``verdict`` and ``summary``, and its
        ``merge_request`` (None before it is proposed)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.compose_page(limit=1, compose_id=compose_id)
            if not rows:
                raise unknown(compose_id)
            return {**rows[0], "merge_request": tx.merge_request_for(compose_id)}

    def compose_builds(self, compose_id: str) -> list[Build]:
        """The compose's builds, by name."""
        with self.ctx.store.transaction(readonly=True) as tx:
            compose_row(tx, compose_id)
            return tx.builds_for(compose_id)

    def compose_diff(self, compose_id: str) -> tuple[str | None, ComposeDiff]:
        """What the compose changes against ``main``: the base compose's id (None: the
        empty ``main`` before the first publication) and the build diff, as its merge
        request shows it. ``main`` is the product's last published compose; for a
        published compose, the one it was merged onto."""
        with self.ctx.store.transaction(readonly=True) as tx:
            row = compose_row(tx, compose_id)
            base: str | None
            if row["state"] == ComposeState.PUBLISHED:
                base = (tx.merge_request_for(compose_id) or {}).get("base_compose")
            else:
                base = tx.latest_published(row["product"])
            old = tx.builds_for(base) if base else []
            return base, diff_builds(old, tx.builds_for(compose_id))

    def merge_request(self, compose_id: str) -> dict[str, Any] | None:
        """The compose's merge request record (None: none yet, or an unknown compose)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.merge_request_for(compose_id)

    def gate_view(self, compose_id: str) -> GateView | None:
        """The compose's row, merge request and latest decision, read together (None for
        an unknown compose)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            row = tx.compose_row(compose_id)
            if row is None:
                return None
            latest = tx.latest_decision(compose_id)
            return GateView(
                row,
                tx.merge_request_for(compose_id),
                latest["payload"] if latest else None,
                latest["version"] if latest else None,
            )

    def merge_requests(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every compose merge request (or those in ``state``), each with its compose's
        latest ``verdict`` (None before the first decision)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            rows = tx.list_merge_requests(state)
            latest = [tx.latest_decision(row["compose_id"]) for row in rows]
        pairs = zip(rows, latest, strict=True)
        return [{**row, "verdict": d["verdict"] if d else None} for row, d in pairs]

    def result_page(
        self,
        compose_id: str,
        *,
        limit: int = 100,
        offset: int = 0,
        filters: Mapping[str, str | None] | None = None,
    ) -> Page[Result]:
        """The compose's results in the order they were stored, those matching every
        given filter (exact values; ``outcome`` in any case)."""
        check_paging(limit, offset)
        wanted = {k: v for k, v in (filters or {}).items() if v is not None}
        for key in wanted:
            if key not in RESULT_FILTERS:
                raise InputError(f"unknown filter; expected one of {RESULT_FILTERS}", key=key)
        if "outcome" in wanted:
            try:
                wanted["outcome"] = Outcome.parse(wanted["outcome"]).value
            except ValueError as exc:
                raise InputError(str(exc), key="outcome") from None
        with self.ctx.store.transaction(readonly=True) as tx:
            compose_row(tx, compose_id)
            rows = tx.results_page(compose_id, limit=limit + 1, offset=offset, filters=wanted)
        return _page(rows, limit, offset)

    def counts(self) -> tuple[int, dict[str, int]]:
        """The outbox's depth (entries not delivered) and the composes by latest verdict."""
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.outbox_depth(), tx.verdict_counts()
