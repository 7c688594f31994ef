"""Lockfiles of a compose and the packages that changed between two: the use cases behind
``gatekeeper compose lockfile``, ``gatekeeper compose diff`` and the API's lockfile route.

A lockfile is a view derived from the compose (its rpms.json and repodata, read again from
where it was imported), never a second copy in the store. Settings, all optional::

    [lockfile]
    base_url = "https://composes.stream.centos.org/production/{compose}"  # default: the
                                        # import location ({compose}, {product} filled in)
    repoid = "{variant}-{arch}"         # {arch} is "source" for SRPMs
    cache_dir = "var/cache/repodata"    # remote repodata, downloaded once per compose
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekeeper.compose import LOCKFILE_FORMATS as FORMATS
from gatekeeper.compose import RPM_LOCKFILE_NAME
from gatekeeper.compose.diff import diff_builds
from gatekeeper.compose.fetch import compose_top, open_source
from gatekeeper.compose.lockfile_formats import (
    LockSpec,
    fcos_lockfiles,
    lock_entries,
    rpm_evrcmp,
    rpm_lockfile,
)
from gatekeeper.compose.packagelist import PackageList
from gatekeeper.compose.repodata import RepodataCache
from gatekeeper.compose.resolve import UnresolvableError
from gatekeeper.compose.rpmlist import read_rpm_files
from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError, InputError
from gatekeeper.model import Build
from gatekeeper.service.composes import gc_paused
from gatekeeper.service.context import Context
from gatekeeper.service.reads import compose_row

MULTILIB = {"x86_64": "i686"}  # tree arch -> the multilib arch it also ships


@dataclass(frozen=True, slots=True)
class PackageChange:
    """A binary package of one tree arch whose version differs between two composes."""

    arch: str  # the tree arch
    name: str
    rpm_arch: str
    old: str | None  # its EVR in the old compose, None when absent
    new: str | None
    build: str  # the source package


def _templated(settings: Settings, key: str, default: str, **values: str) -> str:
    section = settings.section("lockfile")
    template = section.get(key, default)
    if not isinstance(template, str):
        raise ConfigError(
            f"expected a string, got {template!r}", file=settings.source, key=f"lockfile.{key}"
        )
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        names = ", ".join("{" + name + "}" for name in values)
        raise ConfigError(
            f"{template!r}: {exc!s}; it may use {names}",
            file=settings.source,
            key=f"lockfile.{key}",
        ) from None


class Lockfiles:
    """Lockfiles of a compose, and the packages that changed between two."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._repodata_cache: RepodataCache | None = None

    @property
    def repodata(self) -> RepodataCache:
        if self._repodata_cache is None:
            settings = self.ctx.settings
            section = settings.section("lockfile")
            cache_dir = section.get("cache_dir", str(settings.var_dir / "cache/repodata"))
            if not isinstance(cache_dir, str):
                raise ConfigError("expected a path", file=settings.source,
                                  key="lockfile.cache_dir")  # fmt: skip
            self._repodata_cache = RepodataCache(Path(cache_dir))
        return self._repodata_cache

    def lockfile(
        self,
        compose_id: str,
        fmt: str,
        *,
        arches: Sequence[str] = (),
        variants: Sequence[str] = (),
        packages: PackageList | None = None,
        with_sources: bool = False,
        allow_missing_checksums: bool = False,
    ) -> dict[str, bytes]:
        """The compose's lockfile(s) in ``fmt``: ``{file name: content}`` (one
        ``rpms.lock.yaml``, or one ``manifest-lock.<arch>.json`` per arch)."""
        with gc_paused():  # ~10^5 objects that all live until the end: nothing to collect
            return self._lockfile(compose_id, fmt, arches, variants, packages, with_sources,
                                  allow_missing_checksums)  # fmt: skip

    def _lockfile(
        self,
        compose_id: str,
        fmt: str,
        arches: Sequence[str],
        variants: Sequence[str],
        packages: PackageList | None,
        with_sources: bool,
        allow_missing_checksums: bool,
    ) -> dict[str, bytes]:
        if fmt not in FORMATS:
            raise InputError(
                f"unknown lockfile format {fmt!r}; expected one of: {', '.join(FORMATS)}"
            )
        with self.ctx.store.transaction(readonly=True) as tx:
            row = compose_row(tx, compose_id)
            source = tx.compose_source(compose_id)
        known: dict[str, list[str]] = row.get("variants") or {}
        chosen_variants = _choose("variant", variants, sorted(known), compose_id)
        tree_arches = sorted({a for v in chosen_variants for a in known[v]})
        all_arches = sorted({a for v in known for a in known[v]})
        chosen_arches = _choose("arch", arches, all_arches, compose_id)
        chosen_arches = [a for a in chosen_arches if a in tree_arches]
        if not chosen_arches:
            raise InputError(
                f"variants {', '.join(chosen_variants)} of {compose_id} have no "
                f"arch {', '.join(arches)}"
            )
        if source is None:
            raise InputError(
                f"compose {compose_id} was announced without a location: import it "
                "(gatekeeper compose import PATH|URL) to lock it"
            )
        top = compose_top(open_source(source))
        default_base = top.location if top.is_remote else Path(top.location).resolve().as_uri()
        spec = LockSpec(
            base_url=_templated(
                self.ctx.settings,
                "base_url",
                default_base,
                compose=compose_id,
                product=row["product"],
            ),
            repoid=_templated(
                self.ctx.settings, "repoid", "{variant}-{arch}", variant="{variant}", arch="{arch}"
            ),
            with_sources=with_sources,
            allow_missing_checksums=allow_missing_checksums,
        )
        cache = self.repodata
        fetch = (lambda rel: cache.read_bytes(top, compose_id, rel)) if top.is_remote else None
        files = read_rpm_files(top, variants=set(chosen_variants), arches=set(chosen_arches),
                               sources=with_sources, fetch=fetch)  # fmt: skip
        try:
            locks = lock_entries(
                files, chosen_arches, spec, lambda path: cache.repo(top, compose_id, path), packages
            )
        except UnresolvableError as exc:
            raise InputError(f"{exc} (resolving against compose {compose_id})") from None
        if not locks:
            raise InputError(
                f"nothing to lock: no binary RPM of {compose_id} in variants "
                f"{', '.join(chosen_variants)} for {', '.join(chosen_arches)}"
            )
        if fmt == "fcos":
            return fcos_lockfiles(locks, row["date"], rpm_evrcmp())
        return {RPM_LOCKFILE_NAME: rpm_lockfile(locks)}

    def package_diff(self, old_id: str, new_id: str) -> list[PackageChange]:
        """The binary packages whose version differs between two composes, per tree arch,
        from the builds the Compose Repo diff finds changed."""
        with self.ctx.store.transaction(readonly=True) as tx:
            compose_row(tx, old_id)
            compose_row(tx, new_id)
            old, new = tx.builds_for(old_id), tx.builds_for(new_id)
        diff = diff_builds(old, new)
        changed = {c.name for c in (*diff.added, *diff.removed, *diff.updated)}
        evrcmp = rpm_evrcmp()
        before, after = _packages(old, changed, evrcmp), _packages(new, changed, evrcmp)
        found = []
        for key in sorted(before.keys() | after.keys()):
            was, now = before.get(key), after.get(key)
            old_evr, new_evr = was[0] if was else None, now[0] if now else None
            if old_evr != new_evr:
                build = (now or was)[1]  # type: ignore[index]
                found.append(PackageChange(*key, old_evr, new_evr, build))
        return found


def _choose(what: str, asked: Sequence[str], known: Sequence[str], compose_id: str) -> list[str]:
    unknown = sorted(set(asked) - set(known))
    if unknown:
        raise InputError(
            f"compose {compose_id} has no {what} {', '.join(unknown)} "
            f"(it has: {', '.join(known) or 'none'})"
        )
    return sorted(set(asked)) if asked else list(known)


def _packages(
    builds: Sequence[Build], names: set[str], evrcmp: Callable[[str, str], int]
) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(tree arch, rpm name, rpm arch) -> (EVR, build name) for the builds named ``names``;
    where several builds ship one (module streams), the highest EVR's."""
    found: dict[tuple[str, str, str], tuple[str, str]] = {}
    for build in builds:
        if build.name not in names:
            continue
        for rpm, rpm_arches in build.rpms.items():
            for tree_arch in build.arches:
                for rpm_arch in rpm_arches:
                    if rpm_arch in (tree_arch, "noarch") or MULTILIB.get(tree_arch) == rpm_arch:
                        key = (tree_arch, rpm, rpm_arch)
                        if key not in found or evrcmp(build.evr, found[key][0]) > 0:
                            found[key] = (build.evr, build.name)
    return found


def package_diff_json(old_id: str, new_id: str, changes: Sequence[PackageChange]) -> dict[str, Any]:
    """``{"old", "new", "arches": {arch: [{name, arch, old, new, build}]}}``."""
    arches: dict[str, list[dict[str, Any]]] = {}
    for c in changes:
        arches.setdefault(c.arch, []).append(
            {"name": c.name, "arch": c.rpm_arch, "old": c.old, "new": c.new, "build": c.build}
        )
    return {"old": old_id, "new": new_id, "arches": arches}
