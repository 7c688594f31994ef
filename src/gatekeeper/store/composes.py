"""Queries on composes, their builds and their merge requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from gatekeeper.errors import NotFound
from gatekeeper.model import Build, Compose
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase, check_columns
from gatekeeper.timeutil import utcnow

_MR_DEFAULTS: dict[str, Any] = {"forge": "local", "state": "open", "description": ""}
# How put_builds encodes the builds' JSON columns, and builds_for decodes them.
_NAMES = msgspec.json.Decoder(tuple[str, ...])
_RPM_ARCHES = msgspec.json.Decoder(dict[str, tuple[str, ...]])
_ENCODER = msgspec.json.Encoder()


def compose_from_row(row: Mapping[str, Any]) -> Compose:
    """The Compose a ``composes`` row (e.g. :meth:`ComposeQueries.lock_compose`'s) holds."""
    return Compose(
        id=row["id"],
        product=row["product"],
        type=row["type"],
        date=row["date"],
        respin=row["respin"],
        announced_at=row["announced_at"],
        label=row["label"],
    )


class ComposeQueries(TxBase):
    def ensure_compose(
        self, compose: Compose, *, label: str | None = None, location: str | None = None
    ) -> bool:
        """Insert the compose unless it is known already. True if it was inserted.

        ``label`` defaults to ``compose.label``. A known compose is left as it is.
        """
        now = utcnow()
        stmt = (
            self._insert(t.composes)
            .values(
                id=compose.id,
                product=compose.product,
                type=compose.type,
                date=compose.date,
                respin=compose.respin,
                label=label if label is not None else compose.label,
                location=location,
                announced_at=compose.announced_at,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[t.composes.c.id])
            .returning(t.composes.c.id)
        )
        return self._conn.execute(stmt).first() is not None

    def get_compose(self, compose_id: str) -> Compose | None:
        c = t.composes.c
        stmt = sa.select(c.id, c.product, c.type, c.date, c.respin, c.announced_at, c.label).where(
            c.id == compose_id
        )
        row = self._conn.execute(stmt).mappings().first()
        return compose_from_row(dict(row)) if row is not None else None

    def compose_row(self, compose_id: str) -> dict[str, Any] | None:
        """Every column of the compose (state, promoted, decision_version...), or None."""
        row = (
            self._conn.execute(sa.select(t.composes).where(t.composes.c.id == compose_id))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    def lock_compose(self, compose_id: str) -> dict[str, Any]:
        """:meth:`compose_row`, locked until the transaction ends. Raises NotFound."""
        return self._lock_compose_row(compose_id)

    def set_compose_source(self, compose_id: str, source: str) -> None:
        """Record where the compose was read from, unless that is known already."""
        c = t.composes.c
        stmt = sa.update(t.composes).where(c.id == compose_id, c.source.is_(None))
        self._conn.execute(stmt.values(source=source))

    def compose_source(self, compose_id: str) -> str | None:
        """Where the compose was imported from (its URL for older records); None if unknown."""
        c = t.composes.c
        row = self._conn.execute(sa.select(c.source, c.location).where(c.id == compose_id)).first()
        if row is None:
            raise NotFound(f"compose {compose_id} is not known")
        found: str | None = row.source or row.location
        return found

    def update_compose(self, compose_id: str, **values: Any) -> None:
        """Set columns of a compose; ``updated_at`` is set to now unless given."""
        check_columns(t.composes, values, fixed=("id",))
        values.setdefault("updated_at", utcnow())
        stmt = sa.update(t.composes).where(t.composes.c.id == compose_id).values(**values)
        if self._conn.execute(stmt).rowcount != 1:
            raise NotFound(f"compose {compose_id} is not known")

    def list_composes(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest composes first (by announcement, then id)."""
        c = t.composes.c
        stmt = sa.select(t.composes).order_by(c.announced_at.desc(), c.id.desc()).limit(limit)
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    # builds

    def put_builds(self, compose_id: str, builds: Sequence[Build]) -> None:
        """Replace the compose's builds with ``builds`` (idempotent)."""
        self._conn.execute(sa.delete(t.builds).where(t.builds.c.compose_id == compose_id))
        if not builds:
            return
        encode = _ENCODER.encode
        rows = [
            {
                "compose_id": compose_id,
                "name": b.name,
                "epoch": b.epoch,
                "version": b.version,
                "release": b.release,
                "variants": encode(b.variants).decode(),
                "arches": encode(b.arches).decode(),
                "rpms": encode(dict(sorted(b.rpms.items()))).decode(),
            }
            for b in builds
        ]
        # The JSON columns get the text encoded above (the JSON type's json.dumps of each value
        # took as long as the rest of the insert); PostgreSQL casts it to json.
        pg = self.dialect == "postgresql"
        values: dict[str, sa.ColumnElement[Any]] = {}
        for name in ("variants", "arches", "rpms"):
            text = sa.bindparam(name, type_=sa.Text)
            values[name] = sa.cast(text, t.builds.c[name].type) if pg else text
        self._conn.execute(sa.insert(t.builds).values(values), rows)

    def has_builds(self, compose_id: str) -> bool:
        """Whether the compose has builds stored (none are read)."""
        stmt = sa.select(sa.literal(1)).where(t.builds.c.compose_id == compose_id).limit(1)
        return self._conn.execute(stmt).first() is not None

    def builds_for(self, compose_id: str) -> list[Build]:
        """The compose's builds, by name (then EVR as text)."""
        c = t.builds.c
        # The JSON columns as text, decoded straight into tuples: for a compose's ~3,300
        # builds that takes half the time of the JSON type's json.loads and tuple copies.
        variants, arches, rpms = (sa.cast(col, sa.Text) for col in (c.variants, c.arches, c.rpms))
        stmt = (
            sa.select(c.name, c.version, c.release, c.epoch, variants, arches, rpms)
            .where(c.compose_id == compose_id)
            .order_by(c.name, c.epoch, c.version, c.release)
        )
        names, rpm_arches = _NAMES.decode, _RPM_ARCHES.decode
        return [
            Build(
                name=name,
                version=version,
                release=release,
                epoch=epoch,
                variants=names(variants),
                arches=names(arches),
                rpms=rpm_arches(rpms),
            )
            for name, version, release, epoch, variants, arches, rpms in self._conn.execute(stmt)
        ]

    # merge requests

    def upsert_merge_request(self, compose_id: str, **values: Any) -> dict[str, Any]:
        """Create or update the compose's merge request; returns its row.

        A new one defaults to forge ``local``, branch ``compose/<compose id>``,
        state ``open``, the compose id as title and an empty description.
        """
        check_columns(t.merge_requests, values, fixed=("id", "compose_id", "created_at"))
        now = utcnow()
        updates = {**values, "updated_at": values.get("updated_at", now)}
        row = {
            **_MR_DEFAULTS,
            "branch": f"compose/{compose_id}",
            "title": compose_id,
            **updates,
            "compose_id": compose_id,
            "created_at": now,
        }
        m = t.merge_requests.c
        # UPDATE first: an INSERT .. ON CONFLICT would use up an id of the sequence each time,
        # and the local forge numbers its merge requests by those ids
        updated = self._conn.execute(
            sa.update(t.merge_requests)
            .where(m.compose_id == compose_id)
            .values(**updates)
            .returning(m.id)
        ).first()
        if updated is None:
            stmt = (
                self._insert(t.merge_requests)
                .values(**row)
                .on_conflict_do_update(index_elements=[m.compose_id], set_=updates)
            )
            self._conn.execute(stmt)
        found = self.merge_request_for(compose_id)
        assert found is not None
        return found

    def merge_request_for(self, compose_id: str) -> dict[str, Any] | None:
        stmt = sa.select(t.merge_requests).where(t.merge_requests.c.compose_id == compose_id)
        row = self._conn.execute(stmt).mappings().first()
        return dict(row) if row is not None else None

    def list_merge_requests(self, state: str | None = None) -> list[dict[str, Any]]:
        """Merge requests in creation order, optionally only those in ``state``."""
        stmt = sa.select(t.merge_requests).order_by(t.merge_requests.c.id)
        if state is not None:
            stmt = stmt.where(t.merge_requests.c.state == state)
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def latest_published(self, product: str) -> str | None:
        """The id of the product's most recently published compose (what ``main`` holds)."""
        c = t.composes.c
        stmt = (
            sa.select(c.id)
            .where(c.product == product, c.state == "published")
            .order_by(c.published_at.desc(), c.date.desc(), c.respin.desc())
            .limit(1)
        )
        return self._conn.execute(stmt).scalar_one_or_none()

    def open_merge_requests(self, product: str) -> list[dict[str, Any]]:
        """Open merge requests of the product's composes, oldest compose first, with the
        compose's ``date`` and ``respin``."""
        c, m = t.composes.c, t.merge_requests.c
        stmt = (
            sa.select(t.merge_requests, c.date, c.respin)
            .join(t.composes, c.id == m.compose_id)
            .where(c.product == product, m.state == "open")
            .order_by(c.date, c.respin, c.id)
        )
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    # reads for the HTTP API and the CLI

    def compose_page(
        self,
        *,
        limit: int,
        offset: int = 0,
        state: str | None = None,
        product: str | None = None,
        compose_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Composes, newest first (as :meth:`list_composes`), each with its latest decision's
        ``verdict`` and ``summary`` (None before the first decision). Filters: ``state``,
        ``product``, ``compose_id``."""
        c, d = t.composes.c, t.decisions.c
        latest = sa.and_(d.compose_id == c.id, d.version == c.decision_version)
        stmt = (
            sa.select(t.composes, d.verdict, d.summary)
            .select_from(t.composes.outerjoin(t.decisions, latest))
            .order_by(c.announced_at.desc(), c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        for column, value in ((c.state, state), (c.product, product), (c.id, compose_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def verdict_counts(self) -> dict[str, int]:
        """How many composes have each latest verdict (``undecided``: no decision yet)."""
        c, d = t.composes.c, t.decisions.c
        latest = sa.and_(d.compose_id == c.id, d.version == c.decision_version)
        verdict = sa.func.coalesce(d.verdict, "undecided")
        stmt = (
            sa.select(verdict, sa.func.count())
            .select_from(t.composes.outerjoin(t.decisions, latest))
            .group_by(verdict)
        )
        return {str(name): int(count) for name, count in self._conn.execute(stmt)}
