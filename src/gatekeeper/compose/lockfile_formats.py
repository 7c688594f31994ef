"""Lockfiles of a compose: rpm-lockfile-prototype's ``rpms.lock.yaml`` and Fedora CoreOS's
``manifest-lock.<arch>.json``, derived from the compose's rpms.json and repodata.

:func:`lock_entries` chooses, per tree arch, the binary RPMs to pin (every one of the chosen
variants, or the closure of a package list) and gives each its url, repoid, size and
checksum; :func:`rpm_lockfile` and :func:`fcos_lockfiles` write them out. Output is
deterministic: arches, packages and keys are sorted, and nothing depends on the clock.

- rpm-lockfile: ``lockfileVersion: 1``, ``lockfileVendor: redhat``, ``arches[]`` of
  ``{arch, packages[], source[], module_metadata: []}``; a package is ``url, repoid, size,
  checksum, name, evr, sourcerpm`` (a source: the same without ``sourcerpm``). Packages are
  sorted by name, epoch, version, release (as text) and arch, one file per NEVRA. With
  missing checksums allowed, ``size`` and ``checksum`` are left out of the entries that
  have none.
- fcos: one file per arch, ``packages{name: {evra, metadata{sourcerpm}}}`` (``sourcerpm``
  is the source package's name, as rpm-ostree writes it) and ``metadata{generated,
  rpmmd_repos{repoid: {generated}}}``. A name maps to one package: the tree's own arch
  (or noarch) wins over a multilib arch, then the highest EVR. ``generated`` is the
  compose's date; a repository's is its repomd.xml's newest record.
"""

from __future__ import annotations

import json
import operator
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gatekeeper.compose.repodata import Repo, quiet_rpm, repo_path_of
from gatekeeper.compose.resolve import Request, closure
from gatekeeper.compose.rpmlist import RpmFile
from gatekeeper.compose.yamltext import loose_scalar, url_scalar
from gatekeeper.errors import InputError

_SHOWN_MISSING = 20


class LockEntry(NamedTuple):
    """One pinned RPM file."""

    url: str
    repoid: str
    size: int | None
    checksum: str | None
    file: RpmFile


@dataclass(frozen=True, slots=True)
class ArchLock:
    """What one arch pins: binary packages, their sources, and the repositories used."""

    arch: str
    packages: tuple[LockEntry, ...]
    sources: tuple[LockEntry, ...]
    repos: Mapping[str, str | None]  # repoid -> its repodata's generated time


@dataclass(frozen=True, slots=True)
class LockSpec:
    """How to lock: where the files are served from, what a repository is called."""

    base_url: str  # the compose's top directory as users download from it
    repoid: str = "{variant}-{arch}"  # {variant}, {arch} ("source" for SRPMs)
    with_sources: bool = False
    allow_missing_checksums: bool = False


RepoReader = Callable[[str], Repo | None]  # repo path -> its parsed repodata (None: none)


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/+-]*")  # path characters no URL needs quoted


def _url(base: str, path: str) -> str:
    quoted = path if _URL_SAFE.fullmatch(path) else urllib.parse.quote(path, safe="/+~")
    return f"{base.rstrip('/')}/compose/{quoted}"


def _entries(
    files: Sequence[RpmFile], spec: LockSpec, repos: RepoReader, missing: list[str]
) -> list[LockEntry]:
    """Each file's entry: its url, repoid, and size and checksum (from rpms.json, else its
    repository's metadata; a file with neither is added to ``missing``)."""
    base = f"{spec.base_url.rstrip('/')}/compose/"
    safe = _URL_SAFE.fullmatch
    repoids: dict[tuple[str, str], str] = {}
    read: dict[str, Repo | None] = {}
    found: list[LockEntry] = []
    append = found.append
    for f in files:
        path, size, checksum = f.path, f.size, f.checksum
        if size is None or checksum is None:
            root, href = repo_path_of(path)
            repo = read[root] if root in read else read.setdefault(root, repos(root))
            known = repo.packages.get(href) if repo is not None else None
            if known is None:
                why = "no repodata/repomd.xml" if repo is None else "not in its repodata"
                missing.append(f"{path} ({why})")
            else:
                size = known[0] if size is None else size
                checksum = known[1] if checksum is None else checksum
        arch = "source" if f.arch in ("src", "nosrc") else f.tree_arch
        repoid = repoids.get((f.variant, arch))
        if repoid is None:
            repoid = repoids[f.variant, arch] = spec.repoid.format(variant=f.variant, arch=arch)
        url = f.url or (base + path if safe(path) else _url(spec.base_url, path))
        append(LockEntry(url, repoid, size, checksum, f))
    return found


_NEVRA_FIELDS = operator.itemgetter(2, 3, 4, 5, 6)  # RpmFile's name, epoch, version, release, arch


def lock_entries(
    files: Sequence[RpmFile],
    arches: Sequence[str],
    spec: LockSpec,
    repos: RepoReader,
    requests: Sequence[tuple[Request, frozenset[str] | None]] | None = None,
) -> list[ArchLock]:
    """The locks of ``arches`` (sorted) from the compose's ``files``: every binary RPM, or
    with ``requests`` (a name and the arches it is for, None: all) the closure of the
    requested names. Missing checksums raise unless the spec allows them."""
    by_arch: dict[str, list[RpmFile]] = {arch: [] for arch in arches}
    sources: dict[tuple[str, str], RpmFile] = {}
    for file in files:  # variants in name order: a package in two is the first one's
        if file.tree_arch not in by_arch:
            continue
        if file.is_source:
            sources.setdefault((file.tree_arch, f"{file.name}-{file.vr}.src.rpm"), file)
        else:
            by_arch[file.tree_arch].append(file)
    missing: list[str] = []
    locks = []
    for arch in sorted(by_arch):
        chosen = _dedupe(by_arch[arch])
        if requests is not None:
            wanted = [request for request, only in requests if only is None or arch in only]
            chosen = _resolve(arch, chosen, wanted, repos) if wanted else []
        if not chosen:
            continue
        chosen.sort(key=_NEVRA_FIELDS)  # unique after _dedupe
        packages = _entries(chosen, spec, repos, missing)
        srpms: list[LockEntry] = []
        source_files: list[RpmFile] = []
        if spec.with_sources:
            names = sorted({f.srpm for f in chosen})
            for name in names:
                source = sources.get((arch, name))
                if source is None:
                    missing.append(f"{name} (not in rpms.json for {arch})")
                else:
                    source_files.append(source)
            srpms = _entries(sorted(source_files, key=_NEVRA_FIELDS), spec, repos, missing)
        used = {e.repoid: e.file for e in (*packages, *srpms)}
        repo_times = {}
        for repoid in sorted(used):
            repo = repos(repo_path_of(used[repoid].path)[0])
            repo_times[repoid] = repo.generated if repo is not None else None
        locks.append(ArchLock(arch, tuple(packages), tuple(srpms), repo_times))
    if missing and not spec.allow_missing_checksums:
        shown = "; ".join(sorted(set(missing))[:_SHOWN_MISSING])
        more = len(set(missing)) - _SHOWN_MISSING
        raise InputError(
            f"{len(set(missing))} RPM(s) have no size and checksum in the compose's metadata: "
            f"{shown}{f'; and {more} more' if more > 0 else ''}; "
            "give --allow-missing-checksums to lock them without"
        )
    return locks


def _dedupe(files: list[RpmFile]) -> list[RpmFile]:
    """One file per NEVRA (a package in several variants: the first variant's)."""
    seen: dict[tuple[str, int, str, str, str], RpmFile] = {}
    for f in files:
        seen.setdefault(_NEVRA_FIELDS(f), f)
    return list(seen.values())


def _resolve(
    arch: str, files: list[RpmFile], requests: Sequence[Request], repos: RepoReader
) -> list[RpmFile]:
    by_path = {f.path: f for f in files}
    primaries = []
    for repo_path in sorted({repo_path_of(f.path)[0] for f in files}):
        repo = repos(repo_path)
        if repo is None:
            raise InputError(
                f"{repo_path}/repodata/repomd.xml does not exist: resolving a package list "
                "needs the compose's repository metadata"
            )
        primaries.append((repo_path, repo.primary))
    return [by_path[p] for p in closure(arch, primaries, requests) if p in by_path]


# --- rpm-lockfile (rpms.lock.yaml) ------------------------------------------------------

_DIGEST = re.compile(r"[a-z0-9]+:[0-9a-f]+")  # sha256:<hex> reads back as this string


class _Scalars(dict[str, str]):
    """Text -> its YAML scalar, each worked out once (names, EVRs, repoids and SRPMs repeat)."""

    def __missing__(self, text: str) -> str:
        found = self[text] = loose_scalar(text)
        return found


def _entries_yaml(
    out: list[str], entries: Sequence[LockEntry], with_srpm: bool, scalar: _Scalars
) -> None:
    append = out.append
    for entry in entries:
        f = entry.file
        url, repoid, name = url_scalar(entry.url), scalar[entry.repoid], scalar[f.name]
        evr = scalar[
            f"{f.epoch}:{f.version}-{f.release}" if f.epoch else f"{f.version}-{f.release}"
        ]
        size, checksum = entry.size, entry.checksum
        if checksum is not None:
            checksum = checksum if _DIGEST.fullmatch(checksum) else scalar[checksum]
        if size is not None and checksum is not None:
            append(f"  - url: {url}\n    repoid: {repoid}\n    size: {size}\n"
                   f"    checksum: {checksum}\n    name: {name}\n    evr: {evr}\n")  # fmt: skip
        else:
            append(f"  - url: {url}\n    repoid: {repoid}\n")
            if size is not None:
                append(f"    size: {size}\n")
            if checksum is not None:
                append(f"    checksum: {checksum}\n")
            append(f"    name: {name}\n    evr: {evr}\n")
        if with_srpm:
            append(f"    sourcerpm: {scalar[f.srpm]}\n")


def rpm_lockfile(locks: Sequence[ArchLock]) -> bytes:
    """``rpms.lock.yaml`` for ``locks``."""
    out = ["---\nlockfileVersion: 1\nlockfileVendor: redhat\n"]
    scalars = _Scalars()
    out.append("arches:\n" if locks else "arches: []\n")
    for lock in locks:
        out.append(f"- arch: {loose_scalar(lock.arch)}\n")
        out.append("  packages:\n" if lock.packages else "  packages: []\n")
        _entries_yaml(out, lock.packages, True, scalars)
        out.append("  source:\n" if lock.sources else "  source: []\n")
        _entries_yaml(out, lock.sources, False, scalars)
        out.append("  module_metadata: []\n")
    return "".join(out).encode("utf-8")


# --- fcos (manifest-lock.<arch>.json) ---------------------------------------------------


def fcos_name(arch: str) -> str:
    return f"manifest-lock.{arch}.json"


def fcos_lockfiles(
    locks: Sequence[ArchLock], date: str, evrcmp: Callable[[str, str], int]
) -> dict[str, bytes]:
    """One ``manifest-lock.<arch>.json`` per lock; ``date`` is the compose's YYYYMMDD,
    ``evrcmp`` compares two EVRs as rpm does."""
    generated = f"{date[:4]}-{date[4:6]}-{date[6:8]}T00:00:00Z"
    files = {}
    for lock in locks:
        chosen: dict[str, RpmFile] = {}

        def better(new: RpmFile, old: RpmFile, arch: str = lock.arch) -> bool:
            new_own, old_own = new.arch in (arch, "noarch"), old.arch in (arch, "noarch")
            if new_own != old_own:
                return new_own
            return evrcmp(new.evr, old.evr) > 0

        for entry in lock.packages:
            known = chosen.get(entry.file.name)
            if known is None or better(entry.file, known):
                chosen[entry.file.name] = entry.file
        packages = {
            name: {"evra": f"{f.evr}.{f.arch}", "metadata": {"sourcerpm": f.source_name}}
            for name, f in sorted(chosen.items())
        }
        repos = {
            repoid: {"generated": when or generated} for repoid, when in sorted(lock.repos.items())
        }
        doc = {"packages": packages, "metadata": {"generated": generated, "rpmmd_repos": repos}}
        files[fcos_name(lock.arch)] = (
            json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        ).encode()
    return files


def rpm_evrcmp() -> Callable[[str, str], int]:
    """rpm's EVR comparison (libsolv's)."""
    quiet_rpm()
    import solv

    pool = solv.Pool()
    return lambda a, b: int(pool.evrcmp(a, b, solv.Pool.EVRCMP_COMPARE))


def mr_lockfile_section(compose_id: str, arches: Sequence[str], public_url: str | None) -> str:
    """The merge request's "Lockfiles" section: links to the compose's lockfiles on the API
    at ``public_url`` (gatekeeper's address as users reach it), else how to get them."""
    route = f"/api/v1/composes/{urllib.parse.quote(compose_id)}/lockfile"
    lines = ["", "### Lockfiles", "", "Build from exactly this compose:", ""]
    if public_url:
        base = public_url.rstrip("/") + route
        lines.append(f"- rpm-lockfile: [rpms.lock.yaml]({base}?format=rpm-lockfile)")
        links = [f"[{a}]({base}?format=fcos&arch={urllib.parse.quote(a)})" for a in arches]
        if links:
            lines.append(f"- Fedora CoreOS manifest-lock: {', '.join(links)}")
    else:
        lines += [
            f"- `gatekeeper compose lockfile {compose_id} --format rpm-lockfile`",
            f"- `gatekeeper compose lockfile {compose_id} --format fcos --arch ARCH`",
            f"- or `GET {route}?format=rpm-lockfile` on the gatekeeper API",
        ]
    return "\n".join(lines) + "\n"
