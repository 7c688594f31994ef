"""The dashboard's reads: the compose list, a compose's page, a team's page, the local
merge request, the known issues, and the version the live page polls.

Every read runs in one read-only transaction and writes nothing. The decision a page
shows is :class:`~gatekeeper.service.shown.ShownDecisions`': what
``GET /api/v1/composes/{id}/decision`` answers at that moment, answer for answer.

What never changes once stored is kept in memory between pages, bounded (see
:mod:`~gatekeeper.service.view_cache`): decoded decision versions and what changed in
each, list rows' counts per version, the result rows a compose's page names, what the
earlier composes' decision versions passed (for suspects), build diffs, and each
compose's last gate matrix (its cells are reused where their answers did not change).
A page of a compose with 4,000 answers then costs what changed since the last one
(bench/dashboard.py).

A compose page's ``revision`` names what it shows that can change: the decision version,
how often its answers came to name newer results since, and how many waivers and rerun
requests the compose has (:meth:`Dashboard.revision`: what the open page polls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from gatekeeper.errors import GatekeeperError, InputError, NotFound
from gatekeeper.forge import Forge
from gatekeeper.model import Answer, Compose, ComposeState, Waiver
from gatekeeper.service.build_diffs import BuildDiffs
from gatekeeper.service.context import Context, unknown
from gatekeeper.service.decision_inputs import expiries
from gatekeeper.service.matrix import KeptCells, Paired, build_matrix
from gatekeeper.service.mr_diff import file_diffs, mr_link
from gatekeeper.service.reads import Page, check_paging
from gatekeeper.service.shown import Facts, ShownDecisions, facts_of
from gatekeeper.service.suspects import PASSES_KEPT, Passes, find_suspects
from gatekeeper.service.team_view import build_team_view
from gatekeeper.service.triage_views import (
    KnownIssuesView,
    known_issue_rows,
    known_issues_view,
    read_compose_triage,
)
from gatekeeper.service.view_cache import Kept
from gatekeeper.service.views import (
    ComposeRow,
    ComposeView,
    LockfileLink,
    Matrix,
    MergeRequestView,
    Suspects,
    TeamView,
)
from gatekeeper.store import Tx, compose_from_row

VERDICTS = ("passed", "failed", "pending", "none")
HISTORY_SHOWN = 50
"""Decision versions a compose page lists."""
HISTORY_CHANGES = 20
"""The newest versions whose changed answers are shown (each reads a whole decision)."""
RESULTS_KEPT = 8
"""Composes whose pages' result rows are kept (a few thousand small rows each)."""
MATRICES_KEPT = 16
"""Composes whose last gate matrix is kept (its cells, by the answers they show)."""
_SCAN = 200  # composes read per query while filtering the list by the verdict shown


def revision_of(version: int | None, amended: int, waivers: int, reruns: int) -> str:
    """What a compose page shows that can change, in one word: ``3.1.2.0`` is decision
    version 3, amended once since, 2 waiver rows (revocations count), no rerun request."""
    return f"{version or 0}.{amended}.{waivers}.{reruns}"


class Dashboard:
    """Read models of the dashboard's pages (:mod:`gatekeeper.service.views`)."""

    def __init__(self, ctx: Context, forge: Callable[[], Forge]) -> None:
        self.ctx = ctx
        self._forge = forge
        self._diffs = BuildDiffs()
        self.decisions = ShownDecisions(ctx)
        self._results: Kept[str, dict[str, tuple[Any, ...]]] = Kept(RESULTS_KEPT)
        self._passes: Kept[tuple[str, int], Passes] = Kept(PASSES_KEPT)
        # by compose: the pairs and suspects its last matrix was built of, it, its cells
        self._matrices: Kept[
            str, tuple[tuple[Paired, ...], dict[int, Suspects], Matrix, KeptCells]
        ] = Kept(MATRICES_KEPT)

    def _row(
        self,
        compose_row: Mapping[str, Any],
        facts: Facts,
        now: datetime,
        mr: Mapping[str, Any] | None,
    ) -> ComposeRow:
        compose = compose_from_row(compose_row)
        link = None
        if mr is not None:
            link = mr_link(self._forge_or_none(), compose.id, compose.product, mr)
        return ComposeRow(
            id=compose.id,
            product=compose.product,
            type=compose.type,
            state=str(compose_row["state"]),
            announced_at=compose.announced_at,
            age=now - compose.announced_at,
            verdict=facts.verdict,
            undecided=facts.undecided,
            summary=facts.summary,
            satisfied=facts.satisfied,
            required=facts.required,
            waiting_for=facts.waiting_for,
            next_deadline=facts.next_deadline(now),
            teams=facts.teams,
            version=facts.version,
            merge_request=link,
        )

    def forget(self) -> None:
        """Drop what is kept between pages (decoded decisions, their changes, result
        rows, earlier decisions' passes, build diffs): the next pages read everything
        again, as the first one did."""
        self.decisions.forget()
        self._results.clear()
        self._passes.clear()
        self._diffs.kept.clear()
        self._matrices.clear()

    def _result_rows(
        self, tx: Tx, compose_id: str, answers: Sequence[Answer]
    ) -> dict[str, tuple[Any, ...]]:
        """The result rows the answers name (a stored result never changes: those of the
        compose's last page are kept, and only the others are read)."""
        kept = self._results.get(compose_id) or {}
        ids = {a.result_id for a in answers if a.result_id}
        read = tx.result_rows(compose_id, ids - kept.keys())
        rows = {rid: kept.get(rid) or read[rid] for rid in ids if rid in kept or rid in read}
        self._results.put(compose_id, rows)
        return rows

    def _forge_or_none(self) -> Forge | None:
        try:
            return self._forge()
        except GatekeeperError:  # a forge not installed or set up: pages still render
            return None

    # -- the list ----------------------------------------------------------------------------
    def products(self) -> tuple[str, ...]:
        with self.ctx.store.transaction(readonly=True) as tx:
            return tuple(tx.compose_products())

    def composes(
        self,
        *,
        product: str | None = None,
        state: str | None = None,
        verdict: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ComposeRow]:
        """Composes newest first, filtered by product, state and the verdict shown
        (``none``: the composes without one)."""
        check_paging(limit, offset)
        if state is not None and state not in {s.value for s in ComposeState}:
            raise InputError(f"expected one of {[s.value for s in ComposeState]}", key="state")
        if verdict is not None and verdict not in VERDICTS:
            raise InputError(f"expected one of {list(VERDICTS)}", key="verdict")
        now = self.ctx.clock()
        rows: list[ComposeRow] = []
        with self.ctx.store.transaction(readonly=True) as tx:
            if verdict is None:
                listing = tx.compose_listing(
                    limit=limit + 1, offset=offset, state=state, product=product
                )
                rows = self._rows(tx, listing, now)
            else:
                rows = self._filtered(tx, product, state, verdict, limit + 1 + offset, now)
                rows = rows[offset:]
        return Page(rows[:limit], limit, offset, len(rows) > limit)

    def _filtered(
        self,
        tx: Tx,
        product: str | None,
        state: str | None,
        verdict: str,
        wanted: int,
        now: datetime,
    ) -> list[ComposeRow]:
        """The first ``wanted`` composes whose shown verdict is ``verdict``. Time moves a
        pending decision only (to failed or passed), so the stored verdict narrows the
        search to those with it, pending or no decision at all."""
        stored: set[str | None] = {verdict, "pending", None} if verdict != "none" else {None}
        out: list[ComposeRow] = []
        offset = 0
        while len(out) < wanted:
            batch = tx.compose_listing(
                limit=_SCAN, offset=offset, state=state, product=product, verdicts=stored
            )
            for row in self._rows(tx, batch, now):
                shown = str(row.verdict) if row.verdict is not None else "none"
                if shown == verdict:
                    out.append(row)
            if len(batch) < _SCAN:
                break
            offset += _SCAN
        return out[:wanted]

    def _rows(
        self, tx: Tx, listing: Sequence[Mapping[str, Any]], now: datetime
    ) -> list[ComposeRow]:
        """The list's rows of composes as :meth:`Tx.compose_listing` gives them (the owed
        redecides and the expiries read in one query each)."""
        ids = [row["id"] for row in listing]
        owed = tx.redecides_owed(ids)
        expiring = expiries(tx, [compose_from_row(row) for row in listing]) if listing else {}
        return [self._listed(tx, row, now, row["id"] in owed, expiring.get(row["id"], ()))
                for row in listing]  # fmt: skip

    def _listed(
        self,
        tx: Tx,
        listed: Mapping[str, Any],
        now: datetime,
        owed: bool,
        expiring: Sequence[tuple[datetime, str]],
    ) -> ComposeRow:
        version = int(listed["decision_version"]) or None
        compose = compose_from_row(listed)
        facts = self.decisions.facts(tx, compose, version, lambda: tx.current_decision(compose.id),
                                     now, owed=owed, expiring=expiring)  # fmt: skip
        mr = None
        if listed.get("mr_forge") is not None:
            mr = {
                "number": listed["mr_number"],
                "forge": listed["mr_forge"],
                "state": listed["mr_state"],
            }
        return self._row(listed, facts, now, mr)

    # -- one compose ---------------------------------------------------------------------------
    def decision_version(self, compose_id: str) -> int | None:
        """The compose's latest stored decision version (None: none yet)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            version = tx.decision_version_of(compose_id)
        if version is None:
            raise unknown(compose_id)
        return version or None

    def revision(self, compose_id: str) -> str:
        """What the compose's page would show as its ``revision`` now (see
        :func:`revision_of`): a page whose revision differs is behind."""
        with self.ctx.store.transaction(readonly=True) as tx:
            version = tx.decision_version_of(compose_id)
            if version is None:
                raise unknown(compose_id)
            state = tx.decision_state(compose_id) if version else None
            waivers, reruns = tx.waivers_for(compose_id), tx.reruns_for(compose_id)
        amended = state.amended if state is not None else 0
        return revision_of(version, amended, len(waivers), len(reruns))

    def compose_view(self, compose_id: str) -> ComposeView:
        now = self.ctx.clock()
        with self.ctx.store.transaction(readonly=True) as tx:
            row = tx.compose_row(compose_id)
            if row is None:
                raise unknown(compose_id)
            compose = compose_from_row(row)
            version = int(row["decision_version"]) or None
            state = tx.decision_state(compose_id) if version else None
            amended = state.amended if state is not None else 0
            history_rows, total = tx.decision_versions(compose_id, limit=HISTORY_SHOWN)
            # the history first: it notes which testcases each new version changed
            history = self.decisions.history(tx, compose_id, history_rows, HISTORY_CHANGES)
            shown = self.decisions.shown(tx, compose, version,
                                         lambda: self.decisions.current(tx, compose_id, version),
                                         now, amended=amended)  # fmt: skip
            mr = tx.merge_request_for(compose_id)
            if row["state"] == ComposeState.PUBLISHED:
                base = (mr or {}).get("base_compose")
            else:
                base = tx.latest_published(compose.product)
            diffs = self._diffs.against(tx, compose_id)
            answers = [p.answer for p in shown.pairs]
            triage = read_compose_triage(tx, compose_id, answers, now, self.ctx.owner_of)
            suspects = find_suspects(tx, compose, shown.pairs, diffs.since, self._passes)
            diff = diffs.since(base)
            matrix = self._matrix(tx, compose_id, shown.pairs, suspects, triage.waivers)
        link = mr_link(self._forge_or_none(), compose_id, compose.product, mr) if mr else None
        deadlines = sorted({c.deadline for c in matrix.cells if c.deadline is not None})
        return ComposeView(
            row=self._row(row, facts_of(shown), now, mr),
            decision=shown.decision,
            version=shown.version,
            stored=shown.stored,
            matrix=matrix,
            deadlines=tuple(deadlines),
            base=base,
            diff=diff,
            history=history,
            lockfiles=tuple(_lockfile_links(compose_id, row.get("variants"))),
            merge_request=link,
            history_total=total,
            waivers=triage.waiver_rows,
            known_issues=triage.known_issues,
            reruns=triage.reruns,
            revision=revision_of(version, amended, len(triage.waivers), len(triage.reruns)),
        )

    def _matrix(
        self,
        tx: Tx,
        compose_id: str,
        pairs: tuple[Paired, ...],
        suspects: dict[int, Suspects],
        waivers: Mapping[str, Waiver],
    ) -> Matrix:
        """The compose's gate matrix: its last one when built of the same pairs and
        suspects, else one that reuses the last one's cells where they did not change."""
        last = self._matrices.get(compose_id)
        if last is not None and last[0] is pairs and last[1] == suspects:
            return last[2]
        results = self._result_rows(tx, compose_id, [p.answer for p in pairs])
        matrix, cells = build_matrix(pairs, results, waivers, suspects,
                                     last[3] if last is not None else None)  # fmt: skip
        self._matrices.put(compose_id, (pairs, suspects, matrix, cells))
        return matrix

    # -- known issues --------------------------------------------------------------------------
    def known_issues_view(self) -> KnownIssuesView:
        """Every known issue (open, then expired and closed) with the composes it waived."""
        now = self.ctx.clock()
        with self.ctx.store.transaction(readonly=True) as tx:
            issues = tx.known_issues()
            uses = tx.known_issue_uses()
        return known_issues_view(known_issue_rows(issues, uses, now, self.ctx.owner_of))

    # -- a team ----------------------------------------------------------------------------------
    def team_view(self, team: str) -> TeamView:
        policy = next((p for p in self.ctx.policies if p.team == team), None)
        if policy is None:
            raise NotFound(f"team {team!r} has no policy")
        now = self.ctx.clock()
        with self.ctx.store.transaction(readonly=True) as tx:

            def undecided(compose: Compose) -> dict[str, Any] | None:
                shown = self.decisions.shown(tx, compose, None, lambda: None, now)
                return None if shown.decision is None else shown.decision.to_json()

            return build_team_view(tx, policy, undecided)

    # -- the merge request -------------------------------------------------------------------
    def merge_request_view(self, compose_id: str) -> MergeRequestView:
        with self.ctx.store.transaction(readonly=True) as tx:
            row = tx.compose_row(compose_id)
            if row is None:
                raise unknown(compose_id)
            mr = tx.merge_request_for(compose_id)
        if mr is None:
            raise NotFound(f"compose {compose_id!r} has no merge request yet")
        forge = self._forge_or_none()
        product = str(row["product"])
        diffs = None
        if forge is not None and forge.name == mr["forge"]:
            diffs = file_diffs(forge, product, mr.get("head_commit"))
        return MergeRequestView(
            compose_id=compose_id,
            number=mr.get("number"),
            title=str(mr["title"]),
            description=str(mr["description"]),
            state=str(mr["state"]),
            branch=str(mr["branch"]),
            forge=str(mr["forge"]),
            base_compose=mr.get("base_compose"),
            head_commit=mr.get("head_commit"),
            link=mr_link(forge, compose_id, product, mr),
            files=diffs[0] if diffs is not None else None,
            more_files=diffs[1] if diffs is not None else 0,
        )


def _lockfile_links(
    compose_id: str, variants: Mapping[str, Sequence[str]] | None
) -> Iterator[LockfileLink]:
    """rpms.lock.yaml of every arch, and one manifest-lock per arch (when the compose's
    trees are known: an imported compose)."""
    if not variants:
        return
    base = f"/api/v1/composes/{compose_id}/lockfile"
    yield LockfileLink(
        "rpm-lockfile", None, "rpms.lock.yaml (all arches)", f"{base}?format=rpm-lockfile"
    )
    for arch in sorted({arch for arches in variants.values() for arch in arches}):
        yield LockfileLink(
            "fcos", arch, f"manifest-lock.{arch}.json", f"{base}?format=fcos&arch={arch}"
        )
