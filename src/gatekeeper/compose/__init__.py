"""Composes: productmd reading, builds, Compose Repo rendering and diff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gatekeeper.model import Build

LOCKFILE_FORMATS = ("rpm-lockfile", "fcos")
"""The lockfile formats a compose can be exported as (:mod:`.lockfile_formats`)."""
RPM_LOCKFILE_NAME = "rpms.lock.yaml"


@dataclass(frozen=True, slots=True)
class ComposeInfo:
    """What composeinfo.json (and STATUS) say about a compose."""

    id: str
    product: str  # release short + "-" + version, e.g. CentOS-Stream-9
    date: str  # YYYYMMDD
    type: str  # production | nightly | test | ci | development
    respin: int
    status: str  # FINISHED | FINISHED_INCOMPLETE (others are refused)
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # uid -> arches
    label: str | None = None
    location: str | None = None  # URL it was imported from; None for a local path
    source: str | None = None  # where it was read from: the URL, or the absolute local path


@dataclass(frozen=True, slots=True)
class ComposeData:
    """A compose read from its metadata: its info and its builds (sorted by name, EVR)."""

    info: ComposeInfo
    builds: tuple[Build, ...]
    rpm_count: int
