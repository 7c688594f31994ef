"""Realistic compose trees, written with productmd's own classes: for tests, examples, benches.

:func:`write_compose` lays out what Pungi leaves behind (``STATUS``,
``compose/metadata/composeinfo.json``, ``compose/metadata/rpms.json``) from a list of
:class:`SpecBuild` (source packages). :func:`synthetic_builds` invents a package set,
:func:`next_nightly` the next day's, and :func:`write_centos_sized` a CentOS Stream-sized
compose (~3,300 source packages, 9 variants, 4 arches, ~115,000 rpms.json entries).

Entries follow Pungi: every binary RPM under each tree arch that ships it (noarch ones in
every arch, an i686 multilib RPM in the x86_64 tree), the SRPM (category ``source``) under
each of those arches, debuginfo and debugsource RPMs with category ``debug``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from productmd.composeinfo import ComposeInfo, Variant  # type: ignore[import-untyped]
from productmd.rpms import Rpms  # type: ignore[import-untyped]

ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
DEFAULT_VARIANTS: Mapping[str, Sequence[str]] = {"BaseOS": ARCHES, "AppStream": ARCHES}
CENTOS_VARIANTS: Mapping[str, Sequence[str]] = {  # CentOS Stream 9's variants and arches
    "AppStream": ARCHES,
    "BaseOS": ARCHES,
    "CRB": ARCHES,
    "HighAvailability": ARCHES,
    "NFV": ("x86_64",),
    "RT": ("x86_64",),
    "ResilientStorage": ("ppc64le", "s390x", "x86_64"),
    "SAP": ("ppc64le", "s390x", "x86_64"),
    "SAPHANA": ("ppc64le", "x86_64"),
}
SIGKEY = "8483c65d"  # the CentOS Stream signing key id
MULTILIB_ARCH, MULTILIB_HOST = "i686", "x86_64"


@dataclass(frozen=True, slots=True)
class SpecRpm:
    """A binary RPM of a build. ``multilib``: also an i686 one in the x86_64 tree.

    ``requires`` and ``provides`` are capabilities (``libfoo.so.1()(64bit)``, ``bar``,
    ``bar >= 1.2``) written into repodata by :mod:`.generate_repodata`; an RPM always
    provides its own name at its EVR."""

    name: str
    noarch: bool = False
    multilib: bool = False
    requires: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecBuild:
    """A source package to put in a compose.

    ``rpms`` None means one arch-specific RPM named like the build; ``()`` means none (only
    the SRPM is listed). ``debuginfo`` adds ``<rpm>-debuginfo`` for each arch-specific RPM
    and one ``<name>-debugsource`` per arch. ``arches`` limits the tree arches (rpm's
    ExclusiveArch); empty means every arch of each of its variants.
    """

    name: str
    version: str
    release: str
    epoch: int = 0
    variants: tuple[str, ...] = ("BaseOS",)
    rpms: tuple[SpecRpm, ...] | None = None
    debuginfo: bool = False
    arches: tuple[str, ...] = ()

    @property
    def binary_rpms(self) -> tuple[SpecRpm, ...]:
        return (SpecRpm(self.name),) if self.rpms is None else self.rpms

    def nevra(self, name: str, arch: str) -> str:
        return f"{name}-{self.epoch}:{self.version}-{self.release}.{arch}"

    def filename(self, name: str, arch: str) -> str:
        return f"{name}-{self.version}-{self.release}.{arch}.rpm"


@dataclass(frozen=True, slots=True)
class RpmEntry:
    """One rpms.json entry: ``payload.rpms[variant][arch][srpm][nevra]``."""

    variant: str
    arch: str
    srpm: str
    nevra: str
    path: str
    category: str  # binary | debug | source


def rpm_entries(
    builds: Sequence[SpecBuild], variants: Mapping[str, Sequence[str]]
) -> Iterator[RpmEntry]:
    """Every rpms.json entry of these builds, as Pungi would list them."""
    for build in builds:
        srpm = build.nevra(build.name, "src")
        letter = build.name[0].lower()
        for variant in build.variants:
            if variant not in variants:
                raise ValueError(f"build {build.name}: variant {variant!r} is not in {variants}")
            tree_arches = [a for a in variants[variant] if not build.arches or a in build.arches]
            for arch in tree_arches:
                packages = f"{variant}/{arch}/os/Packages/{letter}"
                debug = f"{variant}/{arch}/debug/tree/Packages/{letter}"
                src_path = (
                    f"{variant}/source/tree/Packages/{letter}/{build.filename(build.name, 'src')}"
                )
                yield RpmEntry(variant, arch, srpm, srpm, src_path, "source")
                any_arched = False
                for rpm in build.binary_rpms:
                    rpm_arches = ["noarch"] if rpm.noarch else [arch]
                    if rpm.multilib and not rpm.noarch and arch == MULTILIB_HOST:
                        rpm_arches.append(MULTILIB_ARCH)
                    for rpm_arch in rpm_arches:
                        path = f"{packages}/{build.filename(rpm.name, rpm_arch)}"
                        yield RpmEntry(
                            variant, arch, srpm, build.nevra(rpm.name, rpm_arch), path, "binary"
                        )
                        if build.debuginfo and not rpm.noarch:
                            any_arched = True
                            name = f"{rpm.name}-debuginfo"
                            path = f"{debug}/{build.filename(name, rpm_arch)}"
                            nevra = build.nevra(name, rpm_arch)
                            yield RpmEntry(variant, arch, srpm, nevra, path, "debug")
                if any_arched:
                    name = f"{build.name}-debugsource"
                    path = f"{debug}/{build.filename(name, arch)}"
                    yield RpmEntry(variant, arch, srpm, build.nevra(name, arch), path, "debug")


def _composeinfo(
    *,
    product_short: str,
    version: str,
    date: str,
    compose_type: str,
    respin: int,
    variants: Mapping[str, Sequence[str]],
    label: str | None,
) -> Any:
    info = ComposeInfo()
    info.release.name = product_short.replace("-", " ")
    info.release.short = product_short
    info.release.version = version
    info.release.type = "ga"
    info.compose.date = date
    info.compose.type = compose_type
    info.compose.respin = respin
    info.compose.label = label
    info.compose.id = info.create_compose_id()
    for uid, arches in sorted(variants.items()):
        variant = Variant(info)
        variant.id = variant.uid = variant.name = uid
        variant.type = "variant"
        variant.arches = set(arches)
        for arch in arches:
            tree, debug, source = (
                f"{uid}/{arch}/os",
                f"{uid}/{arch}/debug/tree",
                f"{uid}/source/tree",
            )
            paths = variant.paths
            paths.os_tree[arch] = paths.repository[arch] = tree
            paths.packages[arch] = f"{tree}/Packages"
            paths.debug_tree[arch] = paths.debug_repository[arch] = debug
            paths.debug_packages[arch] = f"{debug}/Packages"
            paths.source_tree[arch] = paths.source_repository[arch] = source
            paths.source_packages[arch] = f"{source}/Packages"
        info.variants.add(variant)
    return info


def write_compose(
    top: Path,
    *,
    builds: Sequence[SpecBuild],
    product_short: str = "CentOS-Stream",
    version: str = "9",
    date: str = "20261124",
    compose_type: str = "nightly",
    respin: int = 0,
    variants: Mapping[str, Sequence[str]] = DEFAULT_VARIANTS,
    status: str | None = "FINISHED",
    label: str | None = None,
) -> str:
    """Write a compose tree under ``top`` (created if needed); return its compose id.

    ``status`` None writes no STATUS file.
    """
    info = _composeinfo(
        product_short=product_short,
        version=version,
        date=date,
        compose_type=compose_type,
        respin=respin,
        variants=variants,
        label=label,
    )
    rpms = Rpms()
    for name in ("id", "date", "type", "respin", "label"):
        setattr(rpms.compose, name, getattr(info.compose, name))
    for e in rpm_entries(builds, variants):
        srpm = None if e.category == "source" else e.srpm
        rpms.add(e.variant, e.arch, e.nevra, e.path, SIGKEY, e.category, srpm)
    metadata = Path(top) / "compose" / "metadata"
    metadata.mkdir(parents=True, exist_ok=True)
    info.dump(str(metadata / "composeinfo.json"))
    rpms.dump(str(metadata / "rpms.json"))
    if status is not None:
        (Path(top) / "STATUS").write_text(f"{status}\n")
    compose_id: str = info.compose.id
    return compose_id


# --- synthetic package sets -------------------------------------------------------------

_SYLLABLES = (*(c + v for c in "bcdfgklmnprstvz" for v in "aeiou"), "ar", "el", "in", "on", "ux")
_ENDINGS = ("", "", "", "d", "x", "ng", "lib", "fs", "kit", "util", "-utils", "-tools", "ctl")
_SUBPACKAGES = ("server", "client", "plugins", "gui", "data", "cli", "selinux", "x11")
# prefix, weight, noarch (language packages are mostly noarch)
_FAMILIES = (
    ("", 50, False),
    ("lib", 12, False),
    ("python-", 12, True),
    ("perl-", 10, True),
    ("golang-", 3, False),
    ("rubygem-", 2, True),
    ("texlive-", 2, True),
    ("nodejs-", 2, True),
    ("rust-", 3, False),
    ("ghc-", 2, False),
    ("xorg-x11-", 2, False),
)
# AppStream holds most packages, BaseOS the core, CRB the build deps; the rest are small.
_VARIANT_WEIGHTS = {"AppStream": 55, "BaseOS": 22, "CRB": 15}


def _name(rng: random.Random) -> tuple[str, bool]:
    prefix, _, noarch = rng.choices(_FAMILIES, weights=[f[1] for f in _FAMILIES])[0]
    stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
    return f"{prefix}{stem}{rng.choice(_ENDINGS)}", noarch


def _version(rng: random.Random) -> str:
    parts = [rng.randint(0, 9 if rng.random() < 0.7 else 40), rng.randint(0, 25)]
    if rng.random() < 0.6:
        parts.append(rng.randint(0, 30))
    return ".".join(map(str, parts))


def _release(rng: random.Random, dist: str) -> str:
    release = str(rng.randint(1, 20))
    if rng.random() < 0.15:
        release += f".{rng.randint(1, 9)}"
    return f"{release}.{dist}"


def _build(
    rng: random.Random, name: str, noarch: bool, variants: Sequence[str], dist: str
) -> SpecBuild:
    rpms: list[SpecRpm] = []
    if noarch:
        main = name.replace("python-", "python3-", 1)
        rpms.append(SpecRpm(main, noarch=rng.random() < 0.85))
        rpms += [
            SpecRpm(f"{main}-{s}", noarch=True) for s in ("doc", "tests") if rng.random() < 0.2
        ]
    else:
        multilib = rng.random() < 0.35
        rpms.append(SpecRpm(name))
        extras = ("libs", "devel", "tools", "static", "common")
        chances = (0.6, 0.8, 0.25, 0.1, 0.15)
        for suffix, chance in zip(extras, chances, strict=True):
            if rng.random() < chance:
                is_lib = suffix in ("libs", "devel")
                rpms.append(SpecRpm(f"{name}-{suffix}", multilib=multilib and is_lib))
        if rng.random() < 0.4:
            rpms.append(SpecRpm(f"{name}-doc", noarch=True))
        more = rng.sample(_SUBPACKAGES, rng.choice((0, 0, 1, 1, 2, 4)))
        rpms += [SpecRpm(f"{name}-{suffix}") for suffix in more]
    weights = [_VARIANT_WEIGHTS.get(v, 2) for v in variants]
    chosen = {rng.choices(variants, weights=weights)[0]}
    if rng.random() < 0.12:
        chosen.add(rng.choices(variants, weights=weights)[0])
    arches: tuple[str, ...] = ()
    if not noarch and rng.random() < 0.05:
        arches = rng.choice((("x86_64",), ("aarch64", "x86_64"), ("ppc64le", "x86_64")))
    return SpecBuild(
        name=name,
        version=_version(rng),
        release=_release(rng, dist),
        epoch=rng.choice((1, 2, 3)) if rng.random() < 0.12 else 0,
        variants=tuple(sorted(chosen)),
        rpms=tuple(rpms),
        debuginfo=any(not rpm.noarch for rpm in rpms),
        arches=arches,
    )


def synthetic_builds(
    n: int,
    seed: int,
    *,
    variants: Sequence[str] | Mapping[str, Sequence[str]] = DEFAULT_VARIANTS,
    dist: str = "el9",
) -> list[SpecBuild]:
    """``n`` invented source packages with distinct names, the same for the same seed.

    Roughly like a distribution: a third are language packages (mostly noarch), others have
    -libs/-devel subpackages (multilib a third of the time), a -doc, debuginfo; a few are
    limited to some arches; most live in AppStream, then BaseOS and CRB.
    """
    rng = random.Random(seed)
    names = sorted(variants)
    builds: dict[str, SpecBuild] = {}
    while len(builds) < n:
        name, noarch = _name(rng)
        if name not in builds:
            builds[name] = _build(rng, name, noarch, names, dist)
    return sorted(builds.values(), key=lambda b: b.name)


def _bump(release: str) -> str:
    match = re.match(r"(\d+)(.*)", release)
    return f"{int(match.group(1)) + 1}{match.group(2)}" if match else f"1.{release}"


def next_nightly(
    builds: Sequence[SpecBuild], changed: int, added: int, removed: int, seed: int
) -> list[SpecBuild]:
    """The next compose's package set: ``removed`` builds dropped, ``changed`` rebuilt with
    the release bumped (the first of them also with its epoch bumped), ``added`` new ones.
    Sorted by name; the same for the same seed."""
    if changed + removed > len(builds):
        raise ValueError(f"cannot change {changed} and remove {removed} of {len(builds)} builds")
    rng = random.Random(seed)
    picked = rng.sample(range(len(builds)), changed + removed)
    gone, bumped = set(picked[:removed]), picked[removed:]
    result = {i: b for i, b in enumerate(builds) if i not in gone}
    for number, i in enumerate(bumped):
        build = result[i]
        epoch = build.epoch + 1 if number == 0 else build.epoch
        result[i] = replace(build, release=_bump(build.release), epoch=epoch)
    names = {b.name for b in builds}
    variants = sorted({v for b in builds for v in b.variants}) or sorted(DEFAULT_VARIANTS)
    dist = builds[0].release.rsplit(".", 1)[-1] if builds else "el9"
    new: list[SpecBuild] = []
    while len(new) < added:
        name, noarch = _name(rng)
        if name not in names:
            names.add(name)
            new.append(_build(rng, name, noarch, variants, dist))
    return sorted([*result.values(), *new], key=lambda b: b.name)


def write_centos_sized(
    top: Path,
    *,
    n: int = 3300,
    seed: int = 0,
    date: str = "20261124",
    compose_type: str = "production",
    respin: int = 0,
    status: str = "FINISHED",
) -> str:
    """A CentOS Stream 9-sized compose under ``top``: ``n`` source packages over its nine
    variants and four arches (~115,000 rpms.json entries, ~38 MB). Returns the compose id."""
    builds = synthetic_builds(n, seed, variants=CENTOS_VARIANTS)
    return write_compose(
        top,
        builds=builds,
        date=date,
        compose_type=compose_type,
        respin=respin,
        variants=CENTOS_VARIANTS,
        status=status,
    )
