"""The compose lifecycle: announce -> propose (MR) -> decide -> promote -> publish -> merged.

Each step is one store transaction; forge operations run inside it and are undone (or
converge on retry) when it fails, so no compose row, branch or merge request is ever left
half-made. States (:class:`~gatekeeper.model.ComposeState`)::

    announced -> proposed -> promoted -> published
                    ^   |        |
                    |   +--------+--> superseded (an older compose was published later)
                    +-- revoked -+
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.compose import ComposeData, ComposeInfo
from gatekeeper.compose.diff import diff_builds, mr_description, mr_title
from gatekeeper.compose.gate import gate_section, with_gate
from gatekeeper.compose.lockfile_formats import mr_lockfile_section
from gatekeeper.compose.reader import read_compose
from gatekeeper.compose.repo_files import render_compose
from gatekeeper.errors import ConfigError, Conflict, InputError, NotFound
from gatekeeper.forge import Forge
from gatekeeper.model import Build, Compose, ComposeState, Decision, MergeRequestState
from gatekeeper.outbox import Owed
from gatekeeper.plugins import collect_named
from gatekeeper.service.context import Context
from gatekeeper.store import Tx

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper


@dataclass(frozen=True)
class ImportReport:
    compose: Compose
    created: bool
    builds: int
    rpms: int
    merge_request: Mapping[str, Any]
    proposed: bool


@dataclass(frozen=True)
class PublishReport:
    compose: str
    main_commit: str
    superseded: tuple[str, ...]
    rerendered: tuple[str, ...]
    already: bool


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs), and restore it whatever happens.

    An import makes ~10^5 containers that all live on (entries, builds, rows, files):
    collecting while they are made finds nothing, and made a CentOS Stream-sized import
    take ~30% longer (bench/import.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Composes:
    """Composes and their merge requests: announce, import, propose, publish, supersede."""

    def __init__(self, ctx: Context, app: Gatekeeper) -> None:
        self.ctx = ctx
        self._app = app  # what a forge factory is given
        self._forge: Forge | None = None
        # decides a compose just recorded, in the recording transaction (the facade sets it:
        # the decisions are made by a collaborator that itself knows the composes)
        self.decide_first: Callable[[Tx, str, Owed], None] | None = None

    @property
    def forge(self) -> Forge:
        """The configured forge (``forge`` setting), built by its plugin on first use."""
        if self._forge is None:
            settings = self.ctx.settings
            factories = collect_named(self.ctx.hooks.register_forges(), "forge")
            if settings.forge not in factories:
                known = ", ".join(sorted(factories)) or "none"
                raise ConfigError(
                    f"unknown forge {settings.forge!r}; installed: {known}", key="forge"
                )
            self._forge = factories[settings.forge](self._app)
        return self._forge

    # -- announce ------------------------------------------------------------------------
    def announce(
        self,
        compose_id: str,
        *,
        at: datetime | None = None,
        label: str | None = None,
        location: str | None = None,
    ) -> tuple[Compose, bool]:
        """Record a compose (idempotent). Returns it and whether it was new."""
        try:
            compose = Compose.from_id(compose_id, at or self.ctx.clock())
        except ValueError as exc:
            raise InputError(str(exc), key="compose") from None
        with self.ctx.step() as (tx, _undo, owed):
            created = tx.ensure_compose(compose, label=label, location=location)
            if created and self.decide_first is not None:
                self.decide_first(tx, compose.id, owed)
            stored = tx.get_compose(compose.id)
        assert stored is not None
        return stored, created

    def get(self, compose_id: str) -> Compose:
        with self.ctx.store.transaction(readonly=True) as tx:
            return self.ctx.require(tx, compose_id)

    def is_imported(self, compose_id: str) -> bool:
        """Whether the compose is known with its builds or its merge request."""
        with self.ctx.store.transaction(readonly=True) as tx:
            row = tx.compose_row(compose_id)
            return row is not None and bool(
                tx.has_builds(compose_id) or tx.merge_request_for(compose_id)
            )

    # -- import and propose ---------------------------------------------------------------
    def import_compose(
        self,
        location: str,
        *,
        with_debuginfo: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Read a compose and open its merge request. Importing it again changes nothing."""
        with gc_paused():
            data = read_compose(location, with_debuginfo=with_debuginfo, progress=progress)
            return self.import_data(data)

    def import_data(self, data: ComposeData) -> ImportReport:
        info = data.info
        compose = Compose(
            id=info.id,
            product=info.product,
            type=info.type,
            date=info.date,
            respin=info.respin,
            announced_at=self.ctx.clock(),
            label=info.label,
        )
        with self.ctx.step() as (tx, undo, owed):
            created = tx.ensure_compose(compose, label=info.label, location=info.location)
            if info.source is not None:
                tx.set_compose_source(info.id, info.source)
            if created and self.decide_first is not None:
                self.decide_first(tx, info.id, owed)
            builds: Sequence[Build] | None = None  # None: the stored ones
            if created or not tx.has_builds(info.id):
                variants = {k: list(v) for k, v in info.variants.items()}
                tx.update_compose(info.id, variants=variants)
                tx.put_builds(info.id, data.builds)
                builds = data.builds  # what reading them back would give
            mr, proposed = self._propose_in(tx, info.id, undo, owed, builds)
            stored = tx.get_compose(info.id)
        assert stored is not None
        return ImportReport(stored, created, len(data.builds), data.rpm_count, mr, proposed)

    def propose(self, compose_id: str) -> Mapping[str, Any]:
        """Open (or refresh) the compose's merge request against the current ``main``."""
        with self.ctx.step() as (tx, undo, owed):
            self.ctx.lock(tx, compose_id)
            mr, _ = self._propose_in(tx, compose_id, undo, owed)
        return mr

    def _describe(
        self,
        tx: Tx,
        compose_id: str,
        base_id: str | None,
        row: Mapping[str, Any],
        builds: Sequence[Build] | None = None,
    ) -> tuple[ComposeInfo, Sequence[Build], str, str]:
        """Info, builds (``builds``, else the stored ones), MR title and description."""
        if builds is None:
            builds = tx.builds_for(compose_id)
        base = tx.builds_for(base_id) if base_id else []
        info = _info(row)
        diff = diff_builds(base, builds)
        latest = tx.latest_decision(compose_id)
        gate = gate_section(
            latest["payload"] if latest else None,
            latest["version"] if latest else None,
            bool(row.get("promoted")),
        )
        arches = sorted({arch for tree in info.variants.values() for arch in tree})
        locks = mr_lockfile_section(info.id, arches, self._public_url())
        description = with_gate(mr_description(info, diff, base_id=base_id) + locks, gate)
        return info, builds, mr_title(info, diff), description

    def _public_url(self) -> str | None:
        settings = self.ctx.settings
        public_url = settings.section("api").get("public_url")
        if public_url is not None and not isinstance(public_url, str):
            raise ConfigError(f"expected a URL, got {public_url!r}", file=settings.source,
                              key="api.public_url")  # fmt: skip
        return public_url

    def _propose_in(
        self,
        tx: Tx,
        compose_id: str,
        undo: list[Callable[[], None]],
        owed: Owed,
        builds: Sequence[Build] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Open or refresh the MR; ``builds``: the compose's, when the caller holds them."""
        row = tx.compose_row(compose_id)
        if row is None:
            raise NotFound(f"compose {compose_id!r} is not known: import it first")
        existing = tx.merge_request_for(compose_id)
        if existing is not None and existing["state"] != MergeRequestState.OPEN:
            return existing, False
        product, branch = row["product"], f"compose/{compose_id}"
        base_id = tx.latest_published(product)
        info, builds, title, description = self._describe(tx, compose_id, base_id, row, builds)
        files = render_compose(info, builds)
        number = existing["number"] if existing else None
        forge = self.forge
        proposed = forge.propose(
            product,
            branch,
            files,
            title=title,
            description=description,
            when=self.ctx.clock(),
            number=number,
        )
        if existing is None:
            undo.append(lambda: forge.discard(product, branch))
        mr = tx.upsert_merge_request(
            compose_id,
            forge=forge.name,
            branch=branch,
            state=MergeRequestState.OPEN.value,
            title=title,
            description=description,
            head_commit=proposed.head_commit,
            base_compose=base_id,
            tree_id=proposed.tree_id,
            number=proposed.number,
        )
        if mr["number"] is None:  # the local forge numbers its MRs by their record
            mr = tx.upsert_merge_request(compose_id, number=mr["id"])
        if row["state"] == ComposeState.ANNOUNCED:
            tx.update_compose(compose_id, state=ComposeState.PROPOSED.value)
        if existing is None:
            compose = tx.get_compose(compose_id)
            assert compose is not None
            owed.add(tx, "gatekeeper_compose_proposed", compose, merge_request=mr)
        return mr, existing is None

    # -- publish --------------------------------------------------------------------------
    def publish(
        self, compose_id: str, *, force: bool = False, by: str | None = None
    ) -> PublishReport:
        """The compose is on the mirrors: merge its MR, supersede older ones, re-render newer.

        A compose that is not promoted (its gate never passed, or its promotion was revoked)
        is refused with :class:`Conflict` unless ``force``; forced, the merge request and the
        merge commit say it was published without promotion, and by whom (``by``)."""
        with self.ctx.step() as (tx, undo, owed):
            row = self.ctx.lock(tx, compose_id)
            if row["state"] == ComposeState.PUBLISHED:
                mr = tx.merge_request_for(compose_id) or {}
                return PublishReport(compose_id, mr.get("head_commit") or "", (), (), True)
            unpromoted = not row.get("promoted")
            if unpromoted and not force:
                raise Conflict(
                    f"compose {compose_id} is not promoted (its gate has not passed): "
                    "to publish it anyway, use --force (force=true in the API); its merge "
                    "request will say so"
                )
            mr, _ = self._propose_in(tx, compose_id, undo, owed)
            now = self.ctx.clock()
            message = mr["title"]
            if unpromoted:  # forced: the merge request and the merge commit say so
                note = f"Published without promotion (forced by {by or 'an unnamed operator'})."
                message = f"{message}\n\n{note}"
                description = f"**{note}**\n\n{mr['description']}"
                self.forge.describe(row["product"], mr["branch"], title=mr["title"],
                                    description=description)  # fmt: skip
                mr = tx.upsert_merge_request(compose_id, description=description)
            commit = self.forge.merge(row["product"], mr["branch"], message=message, when=now)
            merged = tx.upsert_merge_request(
                compose_id, state=MergeRequestState.MERGED.value, head_commit=commit
            )
            tx.update_compose(compose_id, state=ComposeState.PUBLISHED.value, published_at=now)
            superseded, rerendered = self._after_publish(tx, row, now)
            compose = tx.get_compose(compose_id)
            assert compose is not None
            owed.add(tx, "gatekeeper_compose_published", compose, merge_request=merged)
        return PublishReport(compose_id, commit, superseded, rerendered, False)

    def _after_publish(
        self, tx: Tx, published: Mapping[str, Any], now: datetime
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        superseded, rerendered = [], []
        order = (published["date"], published["respin"])
        forge, product = self.forge, published["product"]
        for mr in tx.open_merge_requests(product):
            other = mr["compose_id"]
            if other == published["id"]:
                continue
            if (mr["date"], mr["respin"]) <= order:
                forge.close(product, mr["branch"], reason=f"superseded by {published['id']}")
                tx.upsert_merge_request(other, state=MergeRequestState.CLOSED.value)
                tx.update_compose(other, state=ComposeState.SUPERSEDED.value)
                superseded.append(other)
                continue
            row = tx.compose_row(other)
            assert row is not None
            _, _, title, description = self._describe(tx, other, published["id"], row)
            moved = forge.rebase(product, mr["branch"], message=title, when=now)
            forge.describe(product, mr["branch"], title=title, description=description)
            tx.upsert_merge_request(
                other,
                title=title,
                description=description,
                head_commit=moved.head_commit,
                base_compose=published["id"],
                tree_id=moved.tree_id,
            )
            rerendered.append(other)
        return tuple(superseded), tuple(rerendered)

    # -- decisions on the MR ----------------------------------------------------------------
    def refresh_gate(
        self, tx: Tx, compose_id: str, decision: Callable[[], Decision | None], version: int,
        *, promoted: bool,
    ) -> None:  # fmt: skip
        """Put the new decision (read by ``decision()`` only when the MR is open) into the MR
        description, in the decision's transaction."""
        mr = tx.merge_request_for(compose_id)
        if mr is None or mr["state"] != MergeRequestState.OPEN:
            return
        current = decision()
        if current is None:
            return
        gate = gate_section(current.to_json(), version, promoted)
        tx.upsert_merge_request(compose_id, description=with_gate(mr["description"], gate))


def _info(row: Mapping[str, Any]) -> ComposeInfo:
    variants = {k: tuple(v) for k, v in (row.get("variants") or {}).items()}
    return ComposeInfo(
        id=row["id"],
        product=row["product"],
        date=row["date"],
        type=row["type"],
        respin=row["respin"],
        status="FINISHED",
        variants=variants,
        label=row["label"],
        location=row["location"],
    )
