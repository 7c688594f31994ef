"""Repository metadata for generated composes, written with createrepo_c's own API.

:func:`write_repodata` gives each ``<variant>/<arch>/os`` tree of a compose written by
:func:`.generate.write_compose` the ``repodata/`` (repomd.xml, primary, filelists, other)
that createrepo would write for its RPMs, and each ``<variant>/source/tree`` the SRPMs'.
No RPM file is written: a package's size and sha256 are derived from its path, so that
the same compose always gets the same metadata. Requires and provides come from
:class:`.generate.SpecRpm` (every RPM provides its own name at its EVR), so dependency
resolution has something to resolve.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from gatekeeper.compose.nevra import split_nevra
from gatekeeper.compose.repodata import quiet_rpm, repo_path_of
from gatekeeper.testing.composes import MULTILIB_ARCH, RpmEntry, SpecBuild, rpm_entries

TIMESTAMP = 1764547200  # 2025-12-01T00:00:00Z: every record's, so output is reproducible
_CAPABILITY = re.compile(r"\s*(?P<name>\S+)(?:\s*(?P<op><=|>=|=|<|>)\s*(?P<evr>\S+))?\s*")
_FLAGS = {"=": "EQ", "<": "LT", ">": "GT", "<=": "LE", ">=": "GE"}


def package_size(path: str) -> int:
    """The size the metadata gives the RPM at ``path`` (derived from the path)."""
    return 4096 + int(hashlib.sha256(path.encode()).hexdigest()[:5], 16)


def package_checksum(path: str) -> str:
    """The sha256 the metadata gives the RPM at ``path`` (derived from the path)."""
    return hashlib.sha256(b"rpm:" + path.encode()).hexdigest()


Dependency = tuple[str, str | None, str | None, str | None, str | None, bool]


def _dependency(capability: str) -> Dependency:
    match = _CAPABILITY.fullmatch(capability)
    if match is None:
        raise ValueError(f"not a capability: {capability!r}")
    if match["op"] is None:
        return (match["name"], None, None, None, None, False)
    evr = match["evr"]
    epoch, _, vr = evr.rpartition(":") if ":" in evr else ("0", "", evr)
    version, _, release = vr.partition("-")
    return (match["name"], _FLAGS[match["op"]], epoch or "0", version, release or None, False)


def _package(cr: Any, entry: RpmEntry, href: str, spec: Mapping[str, tuple[str, ...]]) -> Any:
    name, epoch_number, version, release, arch = split_nevra(entry.nevra)
    epoch = str(epoch_number)
    pkg = cr.Package()
    pkg.name, pkg.epoch, pkg.version, pkg.release, pkg.arch = name, epoch, version, release, arch
    pkg.pkgId = package_checksum(entry.path)
    pkg.checksum_type = "sha256"
    pkg.location_href = href
    pkg.size_package = package_size(entry.path)
    pkg.size_installed = pkg.size_archive = 4 * pkg.size_package
    pkg.time_file = pkg.time_build = TIMESTAMP
    pkg.summary = pkg.description = f"{name} (generated)"
    pkg.url = pkg.rpm_license = ""
    if entry.category != "source":
        src_name, _, src_version, src_release, _ = split_nevra(entry.srpm)
        pkg.rpm_sourcerpm = f"{src_name}-{src_version}-{src_release}.src.rpm"
    provides: list[Dependency] = [(name, "EQ", epoch, version, release, False)]
    provides += [_dependency(c) for c in spec.get("provides", ())]
    pkg.provides = provides
    pkg.requires = [_dependency(c) for c in spec.get("requires", ())]
    return pkg


def _write_repo(cr: Any, repo_dir: Path, packages: Sequence[Any]) -> None:
    repodata = repo_dir / "repodata"
    repodata.mkdir(parents=True, exist_ok=True)
    files = {
        "primary": cr.PrimaryXmlFile,
        "filelists": cr.FilelistsXmlFile,
        "other": cr.OtherXmlFile,
    }
    repomd = cr.Repomd()
    repomd.set_revision(str(TIMESTAMP))
    for kind, writer_class in files.items():
        target = repodata / f"{kind}.xml.gz"
        target.unlink(missing_ok=True)  # createrepo_c's writers refuse to replace a file
        writer = writer_class(str(target))
        writer.set_num_of_pkgs(len(packages))
        for pkg in packages:
            writer.add_pkg(pkg)
        writer.close()
        record = cr.RepomdRecord(kind, str(target))
        record.fill(cr.SHA256)
        record.timestamp = TIMESTAMP
        repomd.set_record(record)
    (repodata / "repomd.xml").write_text(repomd.xml_dump(), encoding="utf-8")


def write_repodata(
    top: Path,
    *,
    builds: Sequence[SpecBuild],
    variants: Mapping[str, Sequence[str]],
    omit: Collection[str] = (),
    sources: bool = True,
) -> list[str]:
    """Write the repodata of every repository of the compose at ``top``; return the
    repositories' paths relative to ``top/compose``. RPM paths in ``omit`` are left out
    of the metadata (a compose whose repodata lacks an RPM); ``sources`` False writes no
    source repositories. Debuginfo repositories are not written."""
    quiet_rpm()
    import createrepo_c as cr

    specs = {(b.name, rpm.name): rpm for b in builds for rpm in b.binary_rpms}
    by_build = {b.nevra(b.name, "src"): b for b in builds}
    repos: dict[str, dict[str, Any]] = {}
    for entry in rpm_entries(builds, variants):
        if entry.path in omit or entry.category == "debug":
            continue
        if entry.category == "source" and not sources:
            continue
        root, href = repo_path_of(entry.path)
        repo = repos.setdefault(root, {})
        if href in repo:  # an SRPM is listed under every arch of its source repository
            continue
        build = by_build[entry.srpm]
        rpm_name, *_, rpm_arch = split_nevra(entry.nevra)
        spec = specs.get((build.name, rpm_name))
        attrs: dict[str, tuple[str, ...]] = {}
        if spec is not None and entry.category != "source":
            attrs = {"requires": spec.requires, "provides": spec.provides}
            if rpm_arch == MULTILIB_ARCH:
                attrs["requires"] = tuple(c.replace("(64bit)", "") for c in spec.requires)
        repo[href] = _package(cr, entry, href, attrs)
    for root in sorted(repos):
        packages = [repos[root][href] for href in sorted(repos[root])]
        _write_repo(cr, Path(top) / "compose" / root, packages)
    return sorted(repos)
