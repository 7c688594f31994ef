"""Read a compose's productmd metadata into :class:`ComposeData`: its info and its builds.

What is read, in this order, from the compose's top directory (see :mod:`.fetch`)::

    STATUS                              FINISHED or FINISHED_INCOMPLETE, else refused
    compose/metadata/composeinfo.json   header.type productmd.composeinfo
    compose/metadata/rpms.json          header.type productmd.rpms (rpm-manifest.json, the
                                        name of old composes, when rpms.json is absent)

Each file is parsed once, without productmd's objects (a CentOS Stream rpms.json holds
~115,000 entries, decoded by :func:`.fetch.load_rpms`, grouped in one pass). Tolerated, as
productmd does: headers older than 1.1 without ``header.type``, 0.x composeinfo
(``payload.product``; date, type, respin from the id), 0.3 rpms.json (``payload.manifest``,
``type`` for ``category``, SRPMs under arch ``src``), NEVRAs without the zero epoch, SRPMs not
marked ``source``. Refused, as a located :class:`~gatekeeper.errors.InputError` naming the
file and key path: a missing file, malformed JSON (with its line), a wrong header type or
field type, a NEVRA that does not parse, a compose id outside productmd's grammar or that
contradicts composeinfo, a variant or arch composeinfo does not list. Reading changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gatekeeper.compose import ComposeData, ComposeInfo
from gatekeeper.compose.fetch import (
    COMPOSEINFO,
    FetchError,
    RpmEntry,
    Source,
    compose_top,
    load_json,
    load_rpms,
    open_source,
)
from gatekeeper.compose.located import Located, kind_of
from gatekeeper.compose.nevra import Nevra, parse_nevra, split_nevra
from gatekeeper.errors import InputError
from gatekeeper.model import Build, ComposeId

STATUS = "STATUS"
FINISHED = ("FINISHED", "FINISHED_INCOMPLETE")
COMPOSE_TYPE_SUFFIX = dict(production="", test=".t", nightly=".n", ci=".ci", development=".d")
# productmd.composeinfo.COMPOSE_TYPE_SUFFIXES: what the suffix of a pre-0.3 id says
_ID_SUFFIX_TYPE = {suffix[1:]: t for t, suffix in COMPOSE_TYPE_SUFFIX.items() if suffix}
_ID_SUFFIX_TYPE.update(test="test", nightly="nightly")
_LEGACY_ID = re.compile(r".*(?P<date>[0-9]{8})(?:\.(?P<type>[a-z]+))?(?:\.(?P<respin>[0-9]+))?")
_DATE = re.compile(r"[0-9]{8}")
SOURCE_ARCHES = frozenset({"src", "nosrc"})
DEBUG_SUFFIXES = ("-debuginfo", "-debugsource")

Progress = Callable[[int, int], None]


def read_compose(
    location: str,
    *,
    with_debuginfo: bool = False,
    progress: Progress | None = None,
    source: Source | None = None,
) -> ComposeData:
    """Read the compose at ``location``: a top directory, its ``compose/`` or a URL of either.

    ``source`` replaces ``open_source(location)`` (tests pass one with short timeouts).
    ``progress(done, total)`` is called with ``done == 0`` before the first rpms.json
    (variant, arch) pair and after each one; ``total`` counts the pairs.

    Builds are grouped by source NEVRA (an epoch-less and an epoch-0 spelling are the same
    build). A build's ``variants`` are the variants whose rpms.json lists it at all (its
    source is in them); its ``arches`` are the compose tree arches in which it ships a
    binary RPM that was kept; ``rpms`` maps each kept binary RPM name to the RPM's own
    arches (``("i686", "x86_64")`` for multilib, ``("noarch",)``). SRPMs are never binary
    RPMs. Debuginfo and debugsource RPMs (category ``debug``, or named ``*-debuginfo`` /
    ``*-debugsource``) are left out unless ``with_debuginfo``; a build left with no binary
    RPM at all is still a build of the compose (its source ships in it), with empty
    ``arches`` and ``rpms``, so that asking for debuginfo never adds or removes builds.
    ``rpm_count`` counts the distinct binary RPM NEVRAs kept.
    """
    top = compose_top(source if source is not None else open_source(location))
    status = read_status(top)
    remote = top.location if top.is_remote else None
    info = parse_composeinfo(load_json(top, COMPOSEINFO), file=top.describe(COMPOSEINFO),
                             status=status, location=remote)  # fmt: skip
    where = top.location if top.is_remote else str(Path(top.location).resolve())
    info = dataclasses.replace(info, source=where)
    rpms_doc, rpms_file = load_rpms(top)
    builds, rpm_count = group_builds(
        rpms_doc, info, file=rpms_file, with_debuginfo=with_debuginfo, progress=progress
    )
    return ComposeData(info=info, builds=builds, rpm_count=rpm_count)


def read_status(top: Source) -> str:
    """The compose's STATUS, refused unless FINISHED or FINISHED_INCOMPLETE."""
    file = top.describe(STATUS)
    try:
        status = top.read_bytes(STATUS).decode("utf-8", "replace").strip()
    except FileNotFoundError:
        if top.exists(COMPOSEINFO):
            why = "Pungi writes it when a compose starts, so this one's state is unknown"
        else:
            why = f"{top.location} is not a compose's top directory nor its compose/ directory"
        raise InputError(f"does not exist: {why}", file=file) from None
    except FetchError as exc:
        raise InputError(f"cannot be read: {exc}", file=file) from None
    if status not in FINISHED:
        shown = repr(status[:40]) if status else "empty"
        raise InputError(
            f"the compose status is {shown}: only finished composes (FINISHED or "
            "FINISHED_INCOMPLETE) are imported; a STARTED compose is still running, and "
            "DOOMED or TERMINATED ones never finished",
            file=file,
        )
    return status


def parse_composeinfo(
    doc: dict[str, Any], *, file: str, status: str, location: str | None = None
) -> ComposeInfo:
    """composeinfo.json (any header version productmd reads) as a :class:`ComposeInfo`."""
    at = Located(file)
    version = at.header(doc, "productmd.composeinfo")
    payload = at.get(doc, "payload", dict, "")
    compose = at.get(payload, "compose", dict, "payload")
    compose_id = at.get(compose, "id", str, "payload.compose")
    if version < (0, 3):
        date, compose_type, respin = _legacy_id_parts(at, compose_id)
    else:
        date = at.get(compose, "date", str, "payload.compose")
        if not _DATE.fullmatch(date):
            raise at.error("payload.compose.date", f"{date!r} is not a date like 20261124")
        compose_type = at.get(compose, "type", str, "payload.compose")
        if compose_type not in COMPOSE_TYPE_SUFFIX:
            known = ", ".join(COMPOSE_TYPE_SUFFIX)
            raise at.error("payload.compose.type", f"{compose_type!r} is not one of {known}")
        respin = at.get(compose, "respin", int, "payload.compose")
    label = compose.get("label")
    if label is not None and not isinstance(label, str):
        raise at.error("payload.compose.label", f"expected a string, found {kind_of(label)}")
    release_key = "product" if version <= (0, 3) and "release" not in payload else "release"
    release = at.get(payload, release_key, dict, "payload")
    short = at.get(release, "short", str, f"payload.{release_key}")
    release_version = at.get(release, "version", str, f"payload.{release_key}")
    variants = _variants(at, at.get(payload, "variants", dict, "payload"))
    expected = _compose_id(at, payload, release_key, variants, date, compose_type, respin)
    if compose_id != expected:
        raise at.error(
            "payload.compose.id",
            f"{compose_id!r} contradicts the rest of composeinfo, which makes the id "
            f"{expected!r} (release, date, type and respin)",
        )
    try:
        ComposeId.parse(compose_id)
    except ValueError as exc:
        raise at.error("payload.compose.id", str(exc)) from None
    return ComposeInfo(
        id=compose_id,
        product=f"{short}-{release_version}",
        date=date,
        type=compose_type,
        respin=respin,
        status=status,
        variants=variants,
        label=label or None,
        location=location,
    )


def _legacy_id_parts(at: Located, compose_id: str) -> tuple[str, str, int]:
    """Date, type and respin of a pre-0.3 composeinfo, which only has the id."""
    match = _LEGACY_ID.match(compose_id)
    suffix = match.group("type") if match else None
    if not match or (suffix is not None and suffix not in _ID_SUFFIX_TYPE):
        raise at.error("payload.compose.id", f"{compose_id!r} holds no date, type and respin")
    compose_type = _ID_SUFFIX_TYPE[suffix] if suffix else "production"
    return match.group("date"), compose_type, int(match.group("respin") or 0)


def _variants(at: Located, variants: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Variant uid -> sorted arches, for every variant (child variants by their uid)."""
    result: dict[str, tuple[str, ...]] = {}
    for uid, variant in sorted(variants.items()):
        key = f"payload.variants.{uid}"
        if not isinstance(variant, dict):
            raise at.error(key, f"expected an object, found {kind_of(variant)}")
        arches = at.get(variant, "arches", list, key)
        if not all(isinstance(arch, str) for arch in arches):
            raise at.error(f"{key}.arches", "expected a list of arch names")
        result[sys.intern(uid)] = tuple(sorted({sys.intern(arch) for arch in arches}))
    return result


def _compose_id(
    at: Located,
    payload: dict[str, Any],
    release_key: str,
    variants: dict[str, tuple[str, ...]],
    date: str,
    compose_type: str,
    respin: int,
) -> str:
    """The id productmd's ``ComposeInfo.create_compose_id`` makes of these fields."""
    release = payload[release_key]
    short, version = release["short"], release["version"]
    result = f"{short}-{version}{_release_type_suffix(at, release, release_key)}"
    if release.get("is_layered"):
        base = at.get(payload, "base_product", dict, "payload")
        base_short = at.get(base, "short", str, "payload.base_product")
        base_version = at.get(base, "version", str, "payload.base_product")
        base_suffix = _release_type_suffix(at, base, "payload.base_product")
        result += f"-{base_short}-{base_version}{base_suffix}"
        majors = {version.split(".")[0], base_version.split(".")[0]}
        if short == base_short == "RHEL" and majors == {"5"} and variants:
            first = min(variants)  # productmd's hack for its two RHEL 5 composes
            result += f"-{first}" if first in ("Client", "Server") else ""
    return f"{result}-{date}{COMPOSE_TYPE_SUFFIX[compose_type]}.{respin}"


def _release_type_suffix(at: Located, release: dict[str, Any], key: str) -> str:
    release_type = release.get("type") or "ga"
    if not isinstance(release_type, str):
        raise at.error(f"{key}.type", f"expected a string, found {kind_of(release_type)}")
    return "" if release_type.lower() == "ga" else f"-{release_type.lower()}"


class _Build:
    """A build being collected."""

    __slots__ = ("arches", "nevra", "rpms", "variants")

    def __init__(self, nevra: Nevra) -> None:
        self.nevra = nevra
        self.variants: set[str] = set()
        self.arches: set[str] = set()
        self.rpms: dict[str, set[str]] = {}

    def freeze(self) -> Build:
        name, epoch, version, release, _ = self.nevra
        return Build(
            name=sys.intern(name),
            version=version,
            release=release,
            epoch=epoch,
            variants=tuple(sorted(self.variants)),
            arches=tuple(sorted(self.arches)),
            rpms={rpm: tuple(sorted(arches)) for rpm, arches in sorted(self.rpms.items())},
        )


_BINARY, _SOURCE, _DEBUG = "binary", "source", "debug"
# name, arch, what the name and arch say it is, the NEVRA's fields
_Rpm = tuple[str, str, str, tuple[str, int, str, str, str]]
_NOT_IN_NAME = re.compile(r"[\s/:]")  # as in nevra.py's grammar


class _RpmParser:
    """Binary RPM NEVRAs, each parsed once (``parsed``).

    Nearly every one is ``<name><tail><arch>``, its tail being its SRPM's
    ``-[epoch:]version-release.`` as the SRPM spells it. Cut at the tail, with a valid name and
    an arch seen valid before, it has exactly the parts the NEVRA grammar gives it (version and
    release hold no ``-``, an arch no ``.``); others are parsed in full. Grouping a CentOS
    Stream compose takes a sixth less time so.
    """

    __slots__ = ("arches", "at", "parsed")

    def __init__(self, at: Located) -> None:
        self.at = at
        self.parsed: dict[str, _Rpm] = {}
        self.arches: dict[str, str] = {}  # the arches of the NEVRAs parsed in full, interned

    def parse(self, rpm: str, source: Nevra, tail: str, key: str, srpm: str) -> _Rpm:
        cut = rpm.rfind(tail)
        name, arch = rpm[:cut], self.arches.get(rpm[cut + len(tail) :])
        if cut > 0 and arch is not None and not _NOT_IN_NAME.search(name):
            epoch, version, release = source.epoch, source.version, source.release
        else:
            try:
                name, epoch, version, release, arch = split_nevra(rpm)
            except ValueError as exc:
                raise self.at.error(f"{key}[{srpm}][{rpm}]", str(exc)) from None
            arch = self.arches.setdefault(arch, sys.intern(arch))
        binary = _DEBUG if name.endswith(DEBUG_SUFFIXES) else _BINARY
        kind = _SOURCE if arch in SOURCE_ARCHES else binary
        parsed = self.parsed[rpm] = name, arch, kind, (name, epoch, version, release, arch)
        return parsed


def _pairs(
    at: Located, tree: dict[str, Any], info: ComposeInfo, top_key: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """(variant, arch, its SRPMs) of each tree arch, checked against composeinfo."""
    pairs: list[tuple[str, str, dict[str, Any]]] = []
    for variant, arches in tree.items():
        key = f"payload.{top_key}.{variant}"
        if not isinstance(arches, dict):
            raise at.error(key, f"expected an object of arches, found {kind_of(arches)}")
        if variant not in info.variants:
            raise at.error(key, f"variant {variant!r} is not a variant of composeinfo")
        for arch, srpms in arches.items():
            if arch in SOURCE_ARCHES:  # a 0.3 manifest's SRPMs: not a tree arch
                continue
            if arch not in info.variants[variant]:
                listed = ", ".join(info.variants[variant])
                raise at.error(f"{key}.{arch}", f"composeinfo gives {variant} only {listed}")
            if not isinstance(srpms, dict):
                raise at.error(f"{key}.{arch}", f"expected an object, found {kind_of(srpms)}")
            pairs.append((sys.intern(variant), sys.intern(arch), srpms))
    return pairs


def group_builds(
    doc: dict[str, Any],
    info: ComposeInfo,
    *,
    file: str,
    with_debuginfo: bool = False,
    progress: Progress | None = None,
) -> tuple[tuple[Build, ...], int]:
    """rpms.json grouped into builds (see :func:`read_compose`), and the binary RPM count."""
    at = Located(file)
    version = at.header(doc, "productmd.rpms")
    payload = at.get(doc, "payload", dict, "")
    compose = at.get(payload, "compose", dict, "payload")
    rpms_id = at.get(compose, "id", str, "payload.compose")
    if rpms_id != info.id:
        raise at.error(
            "payload.compose.id",
            f"{rpms_id!r} differs from composeinfo's {info.id!r}: the metadata files "
            "belong to different composes",
        )
    legacy = version <= (0, 3)
    top_key, category_key = ("manifest", "type") if legacy else ("rpms", "category")
    pairs = _pairs(at, at.get(payload, top_key, dict, "payload"), info, top_key)
    builds: dict[tuple[str, int, str, str], _Build] = {}
    by_srpm: dict[str, tuple[_Build, Nevra, str]] = {}  # SRPM -> its build, NEVRA and tail
    rpm_parser = _RpmParser(at)
    parsed = rpm_parser.parsed
    kept: set[tuple[str, int, str, str, str]] = set()
    skip_debug = not with_debuginfo
    if progress is not None:
        progress(0, len(pairs))
    for done, (variant, arch, srpms) in enumerate(pairs, 1):
        key = f"payload.{top_key}.{variant}.{arch}"
        for srpm, rpms in srpms.items():
            known_srpm = by_srpm.get(srpm)
            if known_srpm is None:
                try:
                    source = parse_nevra(srpm)
                except ValueError as exc:
                    raise at.error(f"{key}[{srpm}]", str(exc)) from None
                build_key = (source.name, source.epoch, source.version, source.release)
                build = builds.get(build_key)
                if build is None:
                    build = builds[build_key] = _Build(source)
                tail = srpm[len(source.name) : len(srpm) - len(source.arch)]
                known_srpm = by_srpm[srpm] = build, source, tail
            build, source, tail = known_srpm
            build.variants.add(variant)
            if not isinstance(rpms, dict):
                raise at.error(f"{key}[{srpm}]", f"expected an object, found {kind_of(rpms)}")
            shipped, ships = build.rpms, False
            for rpm, entry in rpms.items():
                known = parsed.get(rpm) or rpm_parser.parse(rpm, source, tail, key, srpm)
                name, rpm_arch, kind, nevra = known
                if isinstance(entry, RpmEntry):  # rpms.json decoded into types
                    category = getattr(entry, category_key)
                elif isinstance(entry, dict):
                    category = entry.get(category_key)
                else:
                    raise at.error(
                        f"{key}[{srpm}][{rpm}]", f"expected an object, found {kind_of(entry)}"
                    )
                if kind is _SOURCE or category == "source":
                    continue
                if skip_debug and (kind is _DEBUG or category == "debug"):
                    continue
                ships = True
                rpm_arches = shipped.get(name)
                if rpm_arches is None:
                    shipped[name] = {rpm_arch}
                else:
                    rpm_arches.add(rpm_arch)
                kept.add(nevra)
            if ships:
                build.arches.add(arch)
        if progress is not None:
            progress(done, len(pairs))
    frozen = sorted(
        (build.freeze() for build in builds.values()),
        key=lambda b: (b.name, b.epoch, b.version, b.release),
    )
    return tuple(frozen), len(kept)
