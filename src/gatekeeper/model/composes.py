"""Composes, their builds and their merge requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from gatekeeper.timeutil import format_time, parse_time


class ComposeState(StrEnum):
    """Where a compose is in its life (see :mod:`gatekeeper.service.composes`)."""

    ANNOUNCED = "announced"
    PROPOSED = "proposed"
    PROMOTED = "promoted"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class MergeRequestState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


# productmd's compose type suffixes (productmd.composeinfo.COMPOSE_TYPES)
COMPOSE_TYPE_SUFFIXES = {
    "": "production",
    "t": "test",
    "n": "nightly",
    "ci": "ci",
    "d": "development",
}
# a product is productmd's short-version[-base...]: ASCII letters, digits and ._+- (never
# "..", "/" or blanks: an id names git branches and paths); digits are ASCII ones only
_COMPOSE_ID = re.compile(
    r"(?P<product>[A-Za-z0-9][A-Za-z0-9._+-]*?)-(?P<date>[0-9]{8})"
    r"(?:\.(?P<suffix>n|t|ci|d))?\.(?P<respin>[0-9]+)"
)
MAX_COMPOSE_ID_CHARS = 128
"""The longest compose id: it names a git branch, and its product a repository directory."""
MAX_RESPIN = 2**31 - 1
"""The largest respin (a 32-bit integer in every store)."""


@dataclass(frozen=True, slots=True)
class ComposeId:
    """A compose id split by productmd's convention.

    ``<short>-<version>-<date>[.<type suffix>].<respin>``; the product is
    ``<short>-<version>`` (e.g. ``CentOS-Stream-9``).
    """

    id: str
    product: str
    date: str
    type: str
    respin: int

    @classmethod
    def parse(cls, compose_id: str) -> ComposeId:
        """The id's parts; raises ValueError saying why it is not a compose id (no blanks
        around it are taken either: the id is the text as given)."""
        if not isinstance(compose_id, str):
            raise ValueError(f"{compose_id!r} is not a compose id: expected a string")
        if len(compose_id) > MAX_COMPOSE_ID_CHARS:
            raise ValueError(
                f"{compose_id[:40]!r}... is not a compose id: it is {len(compose_id):,} "
                f"characters long; at most {MAX_COMPOSE_ID_CHARS} are taken"
            )
        match = _COMPOSE_ID.fullmatch(compose_id)
        if not match or "-" not in match.group("product") or ".." in match.group("product"):
            raise ValueError(
                f"{compose_id!r} is not a compose id: expected "
                "<short>-<version>-<YYYYMMDD>[.<n|t|ci|d>].<respin>, "
                "like CentOS-Stream-9-20261124.0"
            )
        date, respin = match.group("date"), match.group("respin")
        try:
            datetime.strptime(date, "%Y%m%d")
        except ValueError:
            raise ValueError(f"{compose_id!r} is not a compose id: {date} is not a date") from None
        if len(respin) > 10 or int(respin) > MAX_RESPIN:
            raise ValueError(
                f"{compose_id!r} is not a compose id: respin {respin} is more than {MAX_RESPIN}"
            )
        return cls(
            id=compose_id,
            product=match.group("product"),
            date=date,
            type=COMPOSE_TYPE_SUFFIXES[match.group("suffix") or ""],
            respin=int(respin),
        )

    @property
    def date_start(self) -> datetime:
        """Midnight UTC of the compose date: the default announcement time."""
        return datetime.strptime(self.date, "%Y%m%d").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Compose:
    """A compose as the engine sees it."""

    id: str
    product: str
    type: str
    date: str
    respin: int
    announced_at: datetime
    label: str | None = None

    @classmethod
    def from_id(cls, compose_id: str, announced_at: datetime | None = None) -> Compose:
        cid = ComposeId.parse(compose_id)
        return cls(
            id=cid.id,
            product=cid.product,
            type=cid.type,
            date=cid.date,
            respin=cid.respin,
            announced_at=announced_at or cid.date_start,
        )


@dataclass(frozen=True, slots=True)
class Build:
    """One source package of a compose: the unit a Compose Repo file describes."""

    name: str
    version: str
    release: str
    epoch: int = 0
    variants: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    rpms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def evr(self) -> str:
        prefix = f"{self.epoch}:" if self.epoch else ""
        return f"{prefix}{self.version}-{self.release}"


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """A compose's merge request as gatekeeper recorded it (the hooks' ``merge_request``).
    ``number`` is the forge's (GitLab's iid). ``mr["number"]`` still reads it, as when it
    was a mapping."""

    compose_id: str
    forge: str
    number: int | None
    branch: str
    state: MergeRequestState
    title: str
    description: str
    head_commit: str | None = None
    base_compose: str | None = None
    tree_id: str | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MergeRequest:
        """The merge request of a store record or of its :meth:`to_json` form."""
        values: dict[str, Any] = {name: record.get(name) for name in cls.__dataclass_fields__}
        for key in ("created_at", "updated_at"):
            if isinstance(values[key], str):
                values[key] = parse_time(values[key])
        return cls(**{**values, "state": MergeRequestState(record["state"])})

    def to_json(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        when = {k: format_time(out[k]) for k in ("created_at", "updated_at") if out[k]}
        return {**out, **when, "state": str(self.state)}

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.__dataclass_fields__ else default
