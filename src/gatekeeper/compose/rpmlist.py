"""A compose's RPM files as lockfiles list them: rpms.json read again, with paths.

Importing keeps builds, not files (:mod:`.reader`); a lockfile needs each binary RPM's file:
:func:`read_rpm_files` reads ``compose/metadata/rpms.json`` (``rpm-manifest.json`` in old
composes) once more, for the variants and arches asked for, into :class:`RpmFile` values.
Paths are relative to the compose's ``compose/`` directory, as productmd writes them.
productmd's rpms 2.0 replaces ``path`` with a ``location`` object; its ``local_path`` is the
path, and its ``size`` and ``checksum`` (``sha256:...``), when present, are used as they are.
Debuginfo and debugsource RPMs (category ``debug``) are not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import NamedTuple

import msgspec

from gatekeeper.compose.fetch import RPMS, RPMS_LEGACY, Source, parse_json, read_file
from gatekeeper.compose.nevra import split_nevra
from gatekeeper.errors import InputError


class RpmFile(NamedTuple):
    """One RPM file of a compose tree (``variant``, ``tree_arch``). A named tuple: a
    whole-compose lock makes ~50,000 of them."""

    variant: str
    tree_arch: str
    name: str
    epoch: int
    version: str
    release: str
    arch: str  # the RPM's own: x86_64, noarch, i686 (multilib), src
    path: str  # relative to compose/
    srpm: str  # the source RPM's file name: bash-5.1.8-9.el9.src.rpm
    source_name: str  # the source package's name: bash
    url: str | None = None  # rpms 2.0 location.url when it is an http(s) URL
    size: int | None = None
    checksum: str | None = None  # "sha256:<hex>"

    @property
    def evr(self) -> str:
        return f"{self.epoch}:{self.version}-{self.release}" if self.epoch else self.vr

    @property
    def vr(self) -> str:
        return f"{self.version}-{self.release}"

    @property
    def is_source(self) -> bool:
        return self.arch in ("src", "nosrc")


class _Location(msgspec.Struct, gc=False):
    url: str | None = None
    size: int | None = None
    checksum: str | None = None
    local_path: str | None = None


class _Entry(msgspec.Struct, gc=False):
    path: str | None = None
    location: _Location | None = None
    category: str | None = None
    type: str | None = None  # 0.3 manifests


_Tree = dict[str, dict[str, dict[str, dict[str, _Entry]]]]


class _Payload(msgspec.Struct):
    rpms: _Tree | None = None
    manifest: _Tree | None = None


class _Doc(msgspec.Struct):
    payload: _Payload


Fetch = Callable[[str], bytes | None]  # a file's bytes by path from the top; None: missing


def _reader(top: Source) -> Fetch:
    """Files read from ``top`` itself."""
    return lambda relpath: read_file(top, relpath) if top.exists(relpath) else None


def _load(top: Source, fetch: Fetch) -> tuple[_Tree, str]:
    """rpms.json (rpm-manifest.json in old composes), decoded; errors name the file."""
    for relpath in (RPMS, RPMS_LEGACY):
        data = fetch(relpath)
        if data is None:
            continue
        file = top.describe(relpath)
        try:
            doc = msgspec.json.decode(data, type=_Doc)
        except msgspec.ValidationError as exc:
            raise InputError(f"unexpected content: {exc}", file=file) from None
        except msgspec.DecodeError:
            parse_json(data, file=file)  # says where the JSON is broken
            raise InputError("not valid JSON", file=file) from None
        tree = doc.payload.rpms if doc.payload.rpms is not None else doc.payload.manifest
        if tree is None:
            raise InputError("is missing", file=file, key="payload.rpms")
        return tree, file
    raise InputError("does not exist", file=top.describe(RPMS))


def _srpm_name(srpm_nevra: str, file: str, key: str) -> tuple[str, str]:
    try:
        name, _, version, release, _ = split_nevra(srpm_nevra)
    except ValueError as exc:
        raise InputError(str(exc), file=file, key=key) from None
    return name, f"{name}-{version}-{release}.src.rpm"


def read_rpm_files(
    top: Source,
    *,
    variants: Collection[str] | None = None,
    arches: Collection[str] | None = None,
    sources: bool = True,
    fetch: Fetch | None = None,
) -> list[RpmFile]:
    """The binary and (with ``sources``) source RPM files of the compose at ``top`` (its
    top directory), in the trees of ``variants`` and ``arches`` (None: all), variants in
    name order, each in rpms.json's order. ``fetch`` reads the file instead of ``top``
    (a cache of a remote compose's files)."""
    tree, file = _load(top, fetch or _reader(top))
    found: list[RpmFile] = []
    known: dict[str, tuple[str, int, str, str, str] | None] = {}  # a noarch RPM is in every arch
    srpms: dict[str, tuple[str, str]] = {}
    for variant, by_arch in sorted(tree.items()):
        if variants is not None and variant not in variants:
            continue
        for tree_arch, by_srpm in by_arch.items():
            if tree_arch == "src" or (arches is not None and tree_arch not in arches):
                continue
            for srpm_nevra, by_rpm in by_srpm.items():
                source = srpms.get(srpm_nevra)
                if source is None:
                    key = f"payload.rpms.{variant}.{tree_arch}.{srpm_nevra}"
                    source = srpms[srpm_nevra] = _srpm_name(srpm_nevra, file, key)
                source_name, srpm = source
                for nevra, entry in by_rpm.items():
                    category = entry.category or entry.type
                    if category == "debug" or (not sources and category == "source"):
                        continue
                    path = entry.path
                    parts = known.get(nevra)
                    if parts is None:
                        parts = known[nevra] = _try_split(nevra)
                    if path and entry.location is None and parts is not None:  # the usual case
                        found.append(RpmFile(variant, tree_arch, *parts, path, srpm, source_name))
                    else:
                        key = f"payload.rpms.{variant}.{tree_arch}.{srpm_nevra}.{nevra}"
                        found.append(_file(variant, tree_arch, nevra, entry, srpm, source_name,
                                           file, key))  # fmt: skip
    return found


def _try_split(nevra: str) -> tuple[str, int, str, str, str] | None:
    try:
        return split_nevra(nevra)
    except ValueError:
        return None  # _file says why, with the key


def _file(
    variant: str,
    tree_arch: str,
    nevra: str,
    entry: _Entry,
    srpm: str,
    source_name: str,
    file: str,
    key: str,
) -> RpmFile:
    try:
        name, epoch, version, release, arch = split_nevra(nevra)
    except ValueError as exc:
        raise InputError(str(exc), file=file, key=key) from None
    location = entry.location
    path = entry.path if location is None else location.local_path
    if not path:
        raise InputError("has no path (nor location.local_path)", file=file, key=key)
    url = size = checksum = None
    if location is not None:
        url = location.url if (location.url or "").startswith(("http://", "https://")) else None
        size, checksum = location.size, location.checksum
        if checksum is not None and ":" not in checksum:
            raise InputError(
                f"checksum {checksum!r} is not 'algorithm:hexdigest'",
                file=file,
                key=f"{key}.location.checksum",
            )
    return RpmFile(
        variant,
        tree_arch,
        name,
        epoch,
        version,
        release,
        arch,
        path,
        srpm,
        source_name,
        url,
        size,
        checksum,
    )
